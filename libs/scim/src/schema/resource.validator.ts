import { ScimError } from '../errors/scim.error';
import { parseAttributePath } from '../filter/filter.parser';
import { deepEqual, isPlainObject, type JsonObject, type JsonValue } from '../util/json.util';
import { defaultRegistry, resourceTypeModel, type ResourceTypeModel, type ResourceTypeOptions } from './schema.registry';
import type { AttributeDefinition } from './schema.types';
import { coerceAttribute, isEmptyInput, isUnset, orderedObject, type CoercionContext } from './value.coercion';

/** A resource in canonical SCIM JSON: canonical attribute names, extension attributes under their URN. */
export type ScimResource = JsonObject;

export interface ValidateResourceOptions extends ResourceTypeOptions {
  /**
   * `input` (default): a POST/PUT body; readOnly attributes are ignored (RFC 7644 §3.5.1), writeOnly ones
   * (password) are dropped. `stored`: a document the server itself produced, e.g. after PATCH.
   */
  readonly mode?: 'input' | 'stored';
  /** PUT: the current resource. Its readOnly values (id, meta, groups) carry over; immutable ones must match. */
  readonly existing?: ScimResource;
  /**
   * Attributes no schema declares. `report` (default): left out of the resource and listed in
   * `unknownAttributes`, so the caller decides (the ingress keeps the raw payload beside it). `reject`:
   * 400 `invalidSyntax`.
   */
  readonly unknownAttributes?: 'report' | 'reject';
}

export interface ValidationResult {
  readonly resource: ScimResource;
  /** Paths of input attributes that no schema declares, e.g. `customField`, `emails.label`. */
  readonly unknownAttributes: readonly string[];
  /** Paths of input attributes ignored because of their mutability, e.g. `password`, `groups`. */
  readonly ignoredAttributes: readonly string[];
  /** Entries of `schemas` that are not this resource type's (Entra sends an ADSCIM Group URI): dropped. */
  readonly unknownSchemas: readonly string[];
}

/** `id`, `meta` and `schemas` are in every PUT body: ignoring them is expected, not worth reporting. */
const SILENTLY_IGNORED = new Set(['id', 'meta']);

/**
 * Validates a resource body against its resource type and returns it in canonical form. Canonical output
 * is a fixpoint: validating it again in `stored` mode returns an equal resource.
 */
export function validateResource(body: unknown, options: ValidateResourceOptions): ValidationResult {
  const model = resourceTypeModel(options);
  const mode = options.mode ?? 'input';
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('the resource must be a JSON object');
  const ctx: CoercionContext = { mode, unknown: [], ignored: [] };
  const unknownSchemas = checkSchemas(body, model, options);

  const core: Record<string, JsonValue> = {};
  const extensions = new Map<string, Record<string, JsonValue>>();
  for (const [key, raw] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const extension = model.extension(key);
    if (extension) {
      if (isUnset(raw)) continue;
      if (!isPlainObject(raw)) throw ScimError.invalidValue(`"${key}" must be an object holding the extension's attributes`);
      for (const [name, value] of Object.entries(raw)) {
        const attr = model.extensionAttribute(extension.schema.id, name);
        if (!attr) {
          if (!isEmptyInput(value)) ctx.unknown.push(`${extension.schema.id}:${name}`);
          continue;
        }
        assign(extensionTarget(extensions, extension.schema.id), attr, undefined, value, `${extension.schema.id}:${attr.name}`, ctx);
      }
      continue;
    }
    const resolved = resolveKey(model, key);
    if (resolved === undefined) {
      if (!isEmptyInput(raw)) ctx.unknown.push(key);
      continue;
    }
    if (resolved.kind === 'extension') {
      // A fully qualified key naming the extension itself: same as the URN key handled above.
      if (!isUnset(raw)) ctx.unknown.push(key);
      continue;
    }
    const target = resolved.extension !== undefined ? extensionTarget(extensions, resolved.extension) : core;
    const label = `${resolved.extension !== undefined ? `${resolved.extension}:` : ''}${resolved.attribute.name}`;
    assign(target, resolved.attribute, resolved.subAttribute, raw, label, ctx);
  }

  if (options.existing !== undefined && mode === 'input') carryOver(core, extensions, model, options.existing);
  checkRequired(core, extensions, model);
  checkPrimaries(core, model.coreAttributes);
  for (const ext of model.extensions) checkPrimaries(extensions.get(ext.schema.id) ?? {}, ext.schema.attributes);

  const resource = assemble(core, extensions, model);
  if (options.unknownAttributes === 'reject' && ctx.unknown.length > 0) {
    throw ScimError.invalidSyntax(`attributes not defined by the ${model.id} schemas: ${ctx.unknown.join(', ')}`);
  }
  return { resource, unknownAttributes: ctx.unknown, ignoredAttributes: ctx.ignored, unknownSchemas };
}

function resolveKey(model: ResourceTypeModel, key: string): ReturnType<ResourceTypeModel['resolve']> {
  try {
    return model.resolve(parseAttributePath(key));
  } catch {
    return undefined;
  }
}

function checkSchemas(body: Record<string, unknown>, model: ResourceTypeModel, options: ValidateResourceOptions): string[] {
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'schemas');
  const raw = key === undefined ? undefined : body[key];
  if (isUnset(raw)) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const unknown: string[] = [];
  for (const uri of list) {
    if (typeof uri !== 'string') throw ScimError.invalidSyntax('"schemas" must be an array of URI strings');
    if (model.isCoreSchema(uri) || model.extension(uri)) continue;
    if ((options.registry ?? defaultRegistry).isAnyCoreSchema(uri)) {
      throw ScimError.invalidSyntax(`a ${model.id} resource cannot have the schema ${uri}`);
    }
    unknown.push(uri);
  }
  return unknown;
}

function extensionTarget(extensions: Map<string, Record<string, JsonValue>>, urn: string): Record<string, JsonValue> {
  let target = extensions.get(urn);
  if (!target) {
    target = {};
    extensions.set(urn, target);
  }
  return target;
}

function assign(
  target: Record<string, JsonValue>,
  attr: AttributeDefinition,
  sub: AttributeDefinition | undefined,
  raw: unknown,
  label: string,
  ctx: CoercionContext,
): void {
  if (attr.mutability === 'writeOnly' || (ctx.mode === 'input' && attr.mutability === 'readOnly')) {
    if (!isEmptyInput(raw) && !SILENTLY_IGNORED.has(attr.name)) ctx.ignored.push(label);
    return;
  }
  if (sub === undefined) {
    const value = coerceAttribute(attr, raw, label, ctx);
    if (value !== undefined) target[attr.name] = value;
    return;
  }
  // A dotted key (`"name.givenName": "x"`): merge into the complex attribute.
  if (attr.multiValued) throw ScimError.invalidValue(`"${label}.${sub.name}" addresses a multi-valued attribute: give "${label}" as a list`);
  if (ctx.mode === 'input' && (sub.mutability === 'readOnly' || sub.mutability === 'writeOnly')) {
    if (!isEmptyInput(raw)) ctx.ignored.push(`${label}.${sub.name}`);
    return;
  }
  const value = coerceAttribute(sub, raw, `${label}.${sub.name}`, ctx);
  const current = isPlainObject(target[attr.name]) ? (target[attr.name] as Record<string, unknown>) : {};
  const merged = orderedObject(attr, { ...current, [sub.name]: value });
  if (merged === undefined) delete target[attr.name];
  else target[attr.name] = merged;
}

/** PUT keeps what the client may not set (RFC 7644 §3.5.1) and refuses to change immutable values. */
function carryOver(
  core: Record<string, JsonValue>,
  extensions: Map<string, Record<string, JsonValue>>,
  model: ResourceTypeModel,
  existing: ScimResource,
): void {
  const keep = (target: Record<string, JsonValue>, source: Record<string, unknown>, attrs: readonly AttributeDefinition[], label: string): void => {
    for (const attr of attrs) {
      const old = source[attr.name] as JsonValue | undefined;
      if (attr.mutability === 'readOnly') {
        if (old === undefined) delete target[attr.name];
        else target[attr.name] = old;
      } else if (attr.mutability === 'immutable' && old !== undefined) {
        if (target[attr.name] === undefined) target[attr.name] = old;
        else if (!deepEqual(target[attr.name], old)) throw ScimError.mutability(`"${label}${attr.name}" is immutable and already set`);
      }
    }
  };
  keep(core, existing, model.coreAttributes, '');
  for (const ext of model.extensions) {
    const source = existing[ext.schema.id];
    if (!isPlainObject(source)) continue;
    const target = extensionTarget(extensions, ext.schema.id);
    keep(target, source, ext.schema.attributes, `${ext.schema.id}:`);
  }
}

function checkRequired(core: Record<string, JsonValue>, extensions: Map<string, Record<string, JsonValue>>, model: ResourceTypeModel): void {
  for (const attr of model.coreSchema.attributes) {
    if (attr.required && core[attr.name] === undefined) throw ScimError.invalidValue(`"${attr.name}" is required`);
  }
  for (const ext of model.extensions) {
    const values = extensions.get(ext.schema.id);
    const present = values !== undefined && Object.keys(values).length > 0;
    if (ext.required && !present) throw ScimError.invalidValue(`the extension ${ext.schema.id} is required`);
    if (!present) continue;
    for (const attr of ext.schema.attributes) {
      if (attr.required && values[attr.name] === undefined) throw ScimError.invalidValue(`"${ext.schema.id}:${attr.name}" is required`);
    }
  }
}

/** RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once. */
export function checkPrimaries(values: Record<string, unknown>, attrs: readonly AttributeDefinition[]): void {
  for (const attr of attrs) {
    const list = values[attr.name];
    if (!attr.multiValued || !Array.isArray(list)) continue;
    const primaries = list.filter((item) => isPlainObject(item) && item['primary'] === true).length;
    if (primaries > 1) throw ScimError.invalidValue(`"${attr.name}" has ${primaries} values marked primary; at most one may be`);
  }
}

function assemble(core: Record<string, JsonValue>, extensions: Map<string, Record<string, JsonValue>>, model: ResourceTypeModel): ScimResource {
  const resource: ScimResource = { schemas: [model.coreSchema.id] };
  const schemas = resource['schemas'] as string[];
  for (const attr of model.coreAttributes) {
    if (attr.name === 'meta') continue;
    if (core[attr.name] !== undefined) resource[attr.name] = core[attr.name] as JsonValue;
  }
  for (const ext of model.extensions) {
    const values = extensions.get(ext.schema.id);
    if (!values) continue;
    const ordered = orderedObject(ext.asAttribute, values);
    if (ordered === undefined) continue;
    schemas.push(ext.schema.id);
    resource[ext.schema.id] = ordered;
  }
  if (core['meta'] !== undefined) resource['meta'] = core['meta'];
  return resource;
}
