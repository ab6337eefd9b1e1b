import { parseAttributePath } from '../filter/filter.parser';
import { resourceTypeModel, type ResourceTypeModel, type ResourceTypeOptions } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import { isPlainObject, type JsonObject, type JsonValue } from '../util/json.util';

export interface ProjectionOptions extends ResourceTypeOptions {
  /** `attributes`: only these (plus what is always returned). */
  readonly attributes?: readonly string[];
  /** `excludedAttributes`: the default set minus these. */
  readonly excludedAttributes?: readonly string[];
}

/**
 * Applies `returned` characteristics and `attributes`/`excludedAttributes` (RFC 7643 §2.4, RFC 7644
 * §3.4.2.5) to an outgoing resource. `schemas`, `id` and `meta` are always returned, `password` and any
 * `returned: never` attribute never, `returned: request` only when named. Names that resolve to no
 * attribute are ignored rather than refused: a projection cannot do harm, and a 400 would break a list
 * request an IdP sends on every sync.
 */
export function projectResource(resource: JsonObject, options: ProjectionOptions): JsonObject {
  const model = resourceTypeModel(options);
  const selection = selectionOf(model, options.attributes ?? []);
  const exclusion = selectionOf(model, options.excludedAttributes ?? []);
  // Names that resolve to nothing still select: `attributes=unknown` returns the minimum, not the default.
  const selecting = (options.attributes ?? []).length > 0;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') {
      result[key] = value;
      continue;
    }
    const extension = model.extension(key);
    if (extension) {
      if (!isPlainObject(value)) continue;
      const projected = projectObject(value, extension.schema.attributes, selection.get(extension.schema.id), exclusion.get(extension.schema.id), selecting);
      if (projected !== undefined) result[extension.schema.id] = projected;
      continue;
    }
    const attr = model.coreAttribute(key);
    if (!attr) continue;
    const kept = projectAttribute(attr, value, selection.get('')?.get(attr.name), exclusion.get('')?.get(attr.name), selecting);
    if (kept !== undefined) result[key] = kept;
  }
  return result;
}

/** Per container ('' for core, else the extension URN): attribute name → `true` (whole) or sub-attribute names. */
type Selection = Map<string, Map<string, true | Set<string>>>;

function selectionOf(model: ResourceTypeModel, names: readonly string[]): Selection {
  const selection: Selection = new Map();
  const mark = (container: string, attr: string, sub: string | undefined): void => {
    let attrs = selection.get(container);
    if (!attrs) {
      attrs = new Map();
      selection.set(container, attrs);
    }
    const current = attrs.get(attr);
    if (current === true) return;
    if (sub === undefined) attrs.set(attr, true);
    else attrs.set(attr, new Set([...(current ?? []), sub]));
  };
  for (const name of names) {
    let resolved;
    try {
      resolved = model.resolve(parseAttributePath(name));
    } catch {
      continue;
    }
    if (!resolved) continue;
    if (resolved.kind === 'extension') {
      for (const attr of resolved.schema.attributes) mark(resolved.extension, attr.name, undefined);
      continue;
    }
    mark(resolved.extension ?? '', resolved.attribute.name, resolved.subAttribute?.name);
  }
  return selection;
}

function projectObject(
  values: Record<string, unknown>,
  attrs: readonly AttributeDefinition[],
  selected: Map<string, true | Set<string>> | undefined,
  excluded: Map<string, true | Set<string>> | undefined,
  selecting: boolean,
): JsonObject | undefined {
  const result: JsonObject = {};
  for (const attr of attrs) {
    const kept = projectAttribute(attr, values[attr.name], selected?.get(attr.name), excluded?.get(attr.name), selecting);
    if (kept !== undefined) result[attr.name] = kept;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function projectAttribute(
  attr: AttributeDefinition,
  value: unknown,
  selected: true | Set<string> | undefined,
  excluded: true | Set<string> | undefined,
  selecting: boolean,
): JsonValue | undefined {
  if (value === undefined || attr.returned === 'never') return undefined;
  if (attr.returned === 'always' || attr.name === 'meta') return value as JsonValue;
  if (selecting ? selected === undefined : attr.returned === 'request' && selected === undefined) return undefined;
  if (excluded === true) return undefined;
  const onlySubs = selected instanceof Set ? selected : undefined;
  const dropSubs = excluded instanceof Set ? excluded : undefined;
  if (attr.type !== 'complex') return value as JsonValue;
  const filterSubs = (item: unknown): JsonValue | undefined => {
    if (!isPlainObject(item)) return item as JsonValue;
    const kept: JsonObject = {};
    for (const sub of attr.subAttributes ?? []) {
      const subValue = item[sub.name];
      if (subValue === undefined || sub.returned === 'never') continue;
      if (sub.returned !== 'always' && ((onlySubs && !onlySubs.has(sub.name)) || dropSubs?.has(sub.name))) continue;
      kept[sub.name] = subValue as JsonValue;
    }
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  if (Array.isArray(value)) {
    const items = value.map(filterSubs).filter((item): item is JsonValue => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return filterSubs(value);
}
