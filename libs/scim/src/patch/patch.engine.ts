/*
 * Own engine rather than `scim-patch` 0.8.3, which we ran against these tests and which has no schema:
 * it stores `"active": "False"` as a string, creates any attribute a path names (`replace bogus` adds
 * `bogus`), answers `replace emails[type eq "home"].value` with no home email by adding one instead of
 * `noTarget`, resolves names case-sensitively (RFC 7644 §3.5.2.1's own example writes `nickname`), and
 * knows nothing of mutability or `primary`. What it gets right, a schema-aware engine gets right too.
 */
import { ScimError } from '../errors/scim.error';
import type { PatchPath } from '../filter/filter.ast';
import { bindRelativeFilter, type BoundFilter } from '../filter/filter.binder';
import { evaluateBound } from '../filter/filter.evaluator';
import { parsePatchPath } from '../filter/filter.parser';
import { printFilter } from '../filter/filter.printer';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { resourceTypeModel, subAttributeOf, type ResolvedPath, type ResourceTypeModel, type ResourceTypeOptions } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import { coerceAttribute, coerceSingle, isEmptyInput, isUnset, orderedObject, type CoercionContext } from '../schema/value.coercion';
import { cloneJson, deepEqual, isPlainObject } from '../util/json.util';
import { parsePatchRequest, type PatchOperation, type PatchOperationName } from './patch.request';

export interface ApplyPatchOptions extends ResourceTypeOptions {
  /**
   * Path-less values naming attributes no schema declares. `report` (default): skipped and listed in
   * `unknownAttributes` for the caller to decide, as for POST/PUT. `reject`: 400 `invalidPath`.
   * An explicit `path` to an unknown attribute is always a 400 `invalidPath`.
   */
  readonly unknownAttributes?: 'report' | 'reject';
}

export interface PatchResult {
  /** The new resource, canonical and schema-valid. Deep-equal to the input when nothing changed. */
  readonly resource: ScimResource;
  readonly unknownAttributes: readonly string[];
  /** Input ignored for its mutability: readOnly attributes in path-less values, `password`. */
  readonly ignoredAttributes: readonly string[];
}

/** Parses a PatchOp body and applies it. */
export function applyPatchRequest(resource: ScimResource, body: unknown, options: ApplyPatchOptions): PatchResult {
  return applyPatch(resource, parsePatchRequest(body), options);
}

/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a stored canonical resource, all or nothing: the input is
 * never modified, and any operation that cannot be applied throws a 400 with its `scimType`.
 */
export function applyPatch(resource: ScimResource, operations: readonly PatchOperation[], options: ApplyPatchOptions): PatchResult {
  const engine = new PatchEngine(resourceTypeModel(options), cloneJson(resource), options.unknownAttributes === 'reject');
  operations.forEach((operation, index) => engine.apply(operation, `Operations[${index}]`));
  return engine.finish(options);
}

/** Where a value lives: a core attribute at the top, an extension attribute under its URN. */
interface Target {
  readonly extension?: string;
  readonly attribute: AttributeDefinition;
}

type Element = Record<string, unknown>;

/** These two are in every partial resource some IdPs send; ignoring them is not news. */
const SILENTLY_IGNORED = new Set(['id', 'meta']);

class PatchEngine {
  private readonly ctx: CoercionContext = { mode: 'input', unknown: [], ignored: [] };

  constructor(
    private readonly model: ResourceTypeModel,
    private readonly doc: Record<string, unknown>,
    private readonly rejectUnknown: boolean,
  ) {}

  apply(operation: PatchOperation, where: string): void {
    // Typed callers can still hand over an op straight from JSON: read it as parsePatchRequest would.
    const op = String(operation.op).toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw ScimError.invalidSyntax(`${where}: "op" must be add, replace or remove`);
    if (operation.path === undefined) {
      if (op === 'remove') throw ScimError.noTarget(`${where}: "remove" needs a path`);
      this.applyPathless(op, operation.value, where);
      return;
    }
    let path: PatchPath;
    try {
      path = parsePatchPath(operation.path);
    } catch (error) {
      throw error instanceof ScimError ? ScimError.invalidPath(`${where}: ${error.detail}`) : error;
    }
    const resolved = this.model.resolve(path.attribute);
    if (!resolved) throw ScimError.invalidPath(`${where}: "${operation.path}" is not an attribute of ${this.model.id}`);
    // An explicit path at a readOnly attribute cannot be honoured (RFC 7644 §3.5.2), whatever the value.
    if (resolved.kind === 'attribute') {
      const sub = resolved.subAttribute ?? (path.subAttr !== undefined ? subAttributeOf(resolved.attribute, path.subAttr) : undefined);
      if (resolved.attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
        throw ScimError.mutability(`${where}: "${operation.path}" is readOnly`);
      }
    }
    this.applyResolved(op, path, resolved, operation.value, operation.path);
  }

  finish(options: ApplyPatchOptions): PatchResult {
    const validated = validateResource(this.doc, { ...options, mode: 'stored', unknownAttributes: 'report' });
    return {
      resource: validated.resource,
      unknownAttributes: [...this.ctx.unknown, ...validated.unknownAttributes],
      ignoredAttributes: this.ctx.ignored,
    };
  }

  /** A path-less value is a partial resource: each key (dotted or URN-qualified too) is its own path. */
  private applyPathless(op: PatchOperationName, value: unknown, where: string): void {
    const values = Array.isArray(value) && value.length > 0 && value.every(isPlainObject) ? value : [value];
    for (const partial of values) {
      if (!isPlainObject(partial)) throw ScimError.invalidValue(`${where}: "${op}" without a path needs an object value`);
      for (const [key, item] of Object.entries(partial)) {
        if (key.toLowerCase() === 'schemas') continue;
        let path: PatchPath;
        try {
          path = parsePatchPath(key);
        } catch {
          this.unknown(key, where);
          continue;
        }
        const resolved = this.model.resolve(path.attribute);
        if (!resolved) {
          this.unknown(key, where);
          continue;
        }
        // RFC 7644 §3.5.1 treatment of a resource body: readOnly values are ignored (Okta's rename sends `id`).
        if (resolved.kind === 'attribute' && resolved.attribute.mutability === 'readOnly') {
          if (!isEmptyInput(item) && !SILENTLY_IGNORED.has(resolved.attribute.name)) this.ctx.ignored.push(resolved.attribute.name);
          continue;
        }
        this.applyResolved(op, path, resolved, item, key);
      }
    }
  }

  private unknown(key: string, where: string): void {
    if (this.rejectUnknown) throw ScimError.invalidPath(`${where}: "${key}" is not an attribute of ${this.model.id}`);
    this.ctx.unknown.push(key);
  }

  private applyResolved(op: PatchOperationName, path: PatchPath, resolved: ResolvedPath, value: unknown, label: string): void {
    if (resolved.kind === 'extension') {
      if (path.filter !== undefined) throw ScimError.invalidPath(`"${label}": an extension takes no value filter`);
      this.applyToExtension(op, resolved.extension, value, label);
      return;
    }
    const target: Target = { ...(resolved.extension !== undefined ? { extension: resolved.extension } : {}), attribute: resolved.attribute };
    if (resolved.attribute.mutability === 'writeOnly' || resolved.subAttribute?.mutability === 'writeOnly') {
      // Passwords are never stored here; the caller sees it in ignoredAttributes instead of a silent 200.
      if (op !== 'remove') this.ctx.ignored.push(label);
      return;
    }
    if (path.filter !== undefined) {
      const attr = resolved.attribute;
      if (attr.type !== 'complex') throw ScimError.invalidPath(`"${label}": value filters apply to complex attributes`);
      const sub = path.subAttr === undefined ? undefined : subAttributeOf(attr, path.subAttr);
      if (path.subAttr !== undefined && !sub) throw ScimError.invalidPath(`"${label}": "${path.subAttr}" is not a sub-attribute of "${attr.name}"`);
      const filter = bindRelativeFilter(path.filter, attr, (detail) => ScimError.invalidPath(`"${label}": ${detail}`));
      this.applyFiltered(op, target, filter, printFilter(path.filter), sub, value, label);
    } else if (resolved.subAttribute !== undefined) {
      this.applyToSubAttribute(op, target, resolved.subAttribute, value, label);
    } else {
      this.applyToAttribute(op, target, value, label);
    }
  }

  private applyToExtension(op: PatchOperationName, urn: string, value: unknown, label: string): void {
    const ext = this.model.extension(urn);
    if (!ext) throw ScimError.invalidPath(`"${label}" is not an extension of ${this.model.id}`);
    if (op === 'remove') {
      for (const attr of ext.schema.attributes) this.applyToAttribute('remove', { extension: urn, attribute: attr }, undefined, `${urn}:${attr.name}`);
      return;
    }
    if (isUnset(value)) return;
    if (!isPlainObject(value)) throw ScimError.invalidValue(`"${label}" needs an object of the extension's attributes`);
    for (const [key, item] of Object.entries(value)) {
      const attr = this.model.extensionAttribute(urn, key);
      if (!attr) {
        this.unknown(`${urn}:${key}`, label);
        continue;
      }
      if (attr.mutability === 'readOnly' || attr.mutability === 'writeOnly') {
        if (!isEmptyInput(item)) this.ctx.ignored.push(`${urn}:${attr.name}`);
        continue;
      }
      this.applyToAttribute(op, { extension: urn, attribute: attr }, item, `${urn}:${attr.name}`);
    }
  }

  private applyToAttribute(op: PatchOperationName, target: Target, value: unknown, label: string): void {
    const attr = target.attribute;
    this.guarded(target, label, () => {
      const current = this.read(target);
      if (op === 'remove') {
        // Entra ID, OneLogin and JumpCloud send `remove members` WITH the members to remove: "remove
        // these", not RFC 7644's "remove all", which would wipe the group.
        if (attr.multiValued && value !== undefined && value !== null) {
          const doomed = new ElementIndex(attr, (coerceAttribute(attr, value, label, this.ctx) ?? []) as unknown[]);
          const remaining = asList(current).filter((item) => doomed.find(item) < 0);
          this.write(target, remaining.length > 0 ? remaining : undefined);
        } else {
          this.write(target, undefined);
        }
        return;
      }
      if (attr.multiValued) {
        const incoming = (coerceAttribute(attr, value, label, this.ctx) ?? []) as unknown[];
        if (op === 'replace') {
          this.write(target, settlePrimary(incoming, new Set(incoming), label));
          return;
        }
        const list = [...asList(current)];
        const index = new ElementIndex(attr, list);
        const touched = new Set<unknown>();
        for (const item of incoming) {
          const position = index.find(item);
          if (position < 0) {
            index.add(item, list.length);
            list.push(item);
            touched.add(item);
            continue;
          }
          // Adding a value that is already there updates it and is otherwise a no-op (Entra ID re-adds members).
          const merged = mergeElement(attr, list[position], item, label);
          list[position] = merged;
          touched.add(merged);
        }
        this.write(target, settlePrimary(list, touched, label));
        return;
      }
      if (attr.type === 'complex') {
        // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not given are left unchanged, for add and replace alike.
        if (isUnset(value)) {
          this.write(target, undefined);
          return;
        }
        if (!isPlainObject(value)) throw ScimError.invalidValue(`"${label}" needs an object of sub-attributes`);
        const next: Element = isPlainObject(current) ? { ...current } : {};
        for (const [key, item] of Object.entries(value)) {
          const sub = subAttributeOf(attr, key);
          if (!sub) {
            this.unknown(`${label}.${key}`, label);
            continue;
          }
          if (sub.mutability === 'readOnly' || sub.mutability === 'writeOnly') {
            if (!isEmptyInput(item)) this.ctx.ignored.push(`${label}.${sub.name}`);
            continue;
          }
          const coerced = coerceAttribute(sub, item, `${label}.${sub.name}`, this.ctx);
          if (coerced === undefined) delete next[sub.name];
          else next[sub.name] = coerced;
        }
        const result = orderedObject(attr, next);
        checkSubMutability(attr, current, result, label);
        this.write(target, result);
        return;
      }
      this.write(target, coerceAttribute(attr, value, label, this.ctx));
    });
  }

  /** `name.familyName`, `emails.type` (every email), `urn:...:User:manager.value`. */
  private applyToSubAttribute(op: PatchOperationName, target: Target, sub: AttributeDefinition, value: unknown, label: string): void {
    const attr = target.attribute;
    const unset = op === 'remove' || isUnset(value);
    const set = (element: unknown): Element | undefined => this.withSub(attr, sub, element, unset ? undefined : value, label);
    this.guarded(target, label, () => {
      const current = this.read(target);
      if (!attr.multiValued) {
        this.write(target, set(current));
        return;
      }
      const list = asList(current);
      if (list.length === 0) {
        // Nothing to change, so an add (or a replace, which RFC 7644 §3.5.2.3 turns into an add) creates one value.
        if (unset) return;
        const created = set(undefined);
        this.write(target, created ? settlePrimary([created], new Set([created]), label) : undefined);
        return;
      }
      const updated = list.map(set).filter((item): item is Element => item !== undefined);
      this.write(target, settlePrimary(updated, new Set(updated), label));
    });
  }

  /** `emails[type eq "work"]`, `emails[type eq "work"].value`, `members[value eq "x"]`. */
  private applyFiltered(
    op: PatchOperationName,
    target: Target,
    filter: BoundFilter,
    filterText: string,
    sub: AttributeDefinition | undefined,
    value: unknown,
    label: string,
  ): void {
    const attr = target.attribute;
    this.guarded(target, label, () => {
      const current = this.read(target);
      const list: unknown[] = attr.multiValued ? [...asList(current)] : current === undefined ? [] : [current];
      const matched = new Set(list.filter((item) => isPlainObject(item) && evaluateBound(filter, item)));
      const touched = new Set<unknown>();
      let result: unknown[];
      if (op === 'remove') {
        // Removing what is not there leaves the state the request asks for (Okta/Entra remove non-members).
        result = sub === undefined ? list.filter((item) => !matched.has(item)) : list.map((item) => (matched.has(item) ? this.withSub(attr, sub, item, undefined, label) : item));
      } else if (matched.size === 0 && isUnset(value)) {
        result = list;
      } else if (matched.size === 0) {
        if (op === 'replace') throw ScimError.noTarget(`"${label}": no value of "${attr.name}" matches [${filterText}]`);
        const template = templateOf(filter);
        if (!template) {
          throw ScimError.noTarget(`"${label}": no value of "${attr.name}" matches [${filterText}], and only eq conditions joined by "and" describe a new one`);
        }
        const created = sub === undefined ? mergeElement(attr, template, this.element(attr, value, label), label) : this.withSub(attr, sub, template, value, label);
        result = created === undefined ? list : [...list, created];
        if (created !== undefined) touched.add(created);
      } else {
        result = list.map((item) => {
          if (!matched.has(item)) return item;
          let next: Element | undefined;
          if (sub !== undefined) next = this.withSub(attr, sub, item, value, label);
          else if (op === 'add') next = mergeElement(attr, item, this.element(attr, value, label), label);
          else next = this.replaceElement(attr, item as Element, value, label);
          if (next !== undefined) touched.add(next);
          return next;
        });
      }
      const kept = result.filter((item) => item !== undefined);
      if (!attr.multiValued) {
        this.write(target, kept[0]);
        return;
      }
      this.write(target, settlePrimary(kept, touched, label));
    });
  }

  private element(attr: AttributeDefinition, value: unknown, label: string): Element | undefined {
    if (isUnset(value)) return undefined;
    if (!isPlainObject(value)) throw ScimError.invalidValue(`"${label}" needs an object value`);
    return coerceSingle(attr, value, label, this.ctx) as Element | undefined;
  }

  /** Whole-value replacement keeps what the client may not write (readOnly sub-attributes). */
  private replaceElement(attr: AttributeDefinition, before: Element, value: unknown, label: string): Element | undefined {
    const incoming = this.element(attr, value, label);
    if (incoming === undefined) return undefined;
    const kept: Element = {};
    for (const sub of attr.subAttributes ?? []) if (sub.mutability === 'readOnly' && before[sub.name] !== undefined) kept[sub.name] = before[sub.name];
    const after = orderedObject(attr, { ...incoming, ...kept });
    checkSubMutability(attr, before, after, label);
    return after;
  }

  private withSub(attr: AttributeDefinition, sub: AttributeDefinition, element: unknown, value: unknown, label: string): Element | undefined {
    const next: Element = isPlainObject(element) ? { ...element } : {};
    const coerced = coerceAttribute(sub, value, label, this.ctx);
    if (coerced === undefined) delete next[sub.name];
    else next[sub.name] = coerced;
    const after = orderedObject(attr, next);
    checkSubMutability(attr, element, after, label);
    return after;
  }

  /** readOnly attributes may not change, immutable ones only from unset (RFC 7643 §2.2). */
  private guarded(target: Target, label: string, change: () => void): void {
    // Only readOnly and immutable attributes need the before/after comparison (a copy of a whole member list).
    if (target.attribute.mutability !== 'readOnly' && target.attribute.mutability !== 'immutable') {
      change();
      return;
    }
    const before = cloneJson(this.read(target));
    change();
    const after = this.read(target);
    if (deepEqual(before, after)) return;
    if (target.attribute.mutability === 'readOnly') throw ScimError.mutability(`"${label}" is readOnly`);
    if (target.attribute.mutability === 'immutable' && before !== undefined) throw ScimError.mutability(`"${label}" is immutable and already set`);
  }

  private read(target: Target): unknown {
    if (target.extension === undefined) return this.doc[target.attribute.name];
    const ext = this.doc[target.extension];
    return isPlainObject(ext) ? ext[target.attribute.name] : undefined;
  }

  private write(target: Target, value: unknown): void {
    const empty = value === undefined || (Array.isArray(value) && value.length === 0);
    if (target.extension === undefined) {
      if (empty) delete this.doc[target.attribute.name];
      else this.doc[target.attribute.name] = value;
      return;
    }
    const existing = this.doc[target.extension];
    const ext: Element = isPlainObject(existing) ? existing : {};
    if (empty) delete ext[target.attribute.name];
    else ext[target.attribute.name] = value;
    if (Object.keys(ext).length === 0) delete this.doc[target.extension];
    else this.doc[target.extension] = ext;
  }
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Finds a value in a multi-valued attribute by identity: two values are the same when their `value`s are
 * equal (case per the schema) and, if both have a `type`, their types too; values without a `value`
 * compare whole. Indexed by `value`, so adding or removing k members of an n-member group is O(n + k).
 */
class ElementIndex {
  private readonly byValue = new Map<string, number[]>();
  private readonly others: [unknown, number][] = [];
  private readonly valueCaseExact: boolean | undefined;

  constructor(
    private readonly attr: AttributeDefinition,
    private readonly items: readonly unknown[],
  ) {
    this.valueCaseExact = attr.type === 'complex' ? subAttributeOf(attr, 'value')?.caseExact : attr.caseExact;
    items.forEach((item, position) => this.add(item, position));
  }

  add(item: unknown, position: number): void {
    const key = this.key(item);
    if (key === undefined) {
      this.others.push([item, position]);
      return;
    }
    const positions = this.byValue.get(key);
    if (positions) positions.push(position);
    else this.byValue.set(key, [position]);
  }

  /** Position of the first value the same as `item`, or -1. */
  find(item: unknown): number {
    const key = this.key(item);
    if (key === undefined) return this.others.find(([other]) => deepEqual(other, item))?.[1] ?? -1;
    const type = isPlainObject(item) ? item['type'] : undefined;
    for (const position of this.byValue.get(key) ?? []) {
      const candidate = this.items[position];
      const candidateType = isPlainObject(candidate) ? candidate['type'] : undefined;
      if (type === undefined || candidateType === undefined || sameScalar(type, candidateType, false)) return position;
    }
    return -1;
  }

  private key(item: unknown): string | undefined {
    if (this.valueCaseExact === undefined) return undefined;
    const value = this.attr.type === 'complex' ? (isPlainObject(item) ? item['value'] : undefined) : item;
    if (typeof value === 'string') return `s:${this.valueCaseExact ? value : value.toLowerCase()}`;
    if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value}:${String(value)}`;
    return undefined;
  }
}

function sameScalar(a: unknown, b: unknown, caseExact: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !caseExact) return a.toLowerCase() === b.toLowerCase();
  return deepEqual(a, b);
}

/** `add` onto an existing value: given sub-attributes win, the identity (`value`, `type`) stays as stored. */
function mergeElement(attr: AttributeDefinition, existing: unknown, incoming: unknown, label: string): Element | undefined {
  if (!isPlainObject(existing) || !isPlainObject(incoming)) return (incoming ?? existing) as Element | undefined;
  const merged: Element = { ...existing, ...incoming };
  for (const key of ['value', 'type']) if (existing[key] !== undefined && incoming[key] !== undefined && sameScalar(existing[key], incoming[key], false)) merged[key] = existing[key];
  const result = orderedObject(attr, merged);
  checkSubMutability(attr, existing, result, label);
  return result;
}

function checkSubMutability(attr: AttributeDefinition, before: unknown, after: unknown, label: string): void {
  for (const sub of attr.subAttributes ?? []) {
    if (sub.mutability !== 'readOnly' && sub.mutability !== 'immutable') continue;
    const old = isPlainObject(before) ? before[sub.name] : undefined;
    const now = isPlainObject(after) ? after[sub.name] : undefined;
    if (deepEqual(old, now)) continue;
    if (sub.mutability === 'readOnly') throw ScimError.mutability(`"${label}": "${attr.name}.${sub.name}" is readOnly`);
    if (old !== undefined) throw ScimError.mutability(`"${label}": "${attr.name}.${sub.name}" is immutable and already set`);
  }
}

/**
 * RFC 7644 §3.5.2: when a value becomes primary, the others stop being primary. Two new primaries in one
 * operation are contradictory: 400 `invalidValue`.
 */
function settlePrimary(list: unknown[], touched: ReadonlySet<unknown>, label: string): unknown[] {
  const primaries = list.filter((item) => isPlainObject(item) && item['primary'] === true);
  if (primaries.length <= 1) return list;
  const fresh = primaries.filter((item) => touched.has(item));
  if (fresh.length !== 1) throw ScimError.invalidValue(`"${label}" would leave ${primaries.length} values marked primary; at most one may be`);
  return list.map((item) => (isPlainObject(item) && item['primary'] === true && item !== fresh[0] ? { ...item, primary: false } : item));
}

/** The value `emails[type eq "work"]` describes, so `add` can create it (Entra ID adds a work email this way). */
function templateOf(filter: BoundFilter): Element | undefined {
  switch (filter.kind) {
    case 'comparison': {
      const step = filter.steps[0];
      if (filter.operator !== 'eq' || filter.steps.length !== 1 || step === undefined) return undefined;
      return { [step.key]: filter.value };
    }
    case 'and': {
      const left = templateOf(filter.left);
      const right = templateOf(filter.right);
      if (!left || !right) return undefined;
      for (const key of Object.keys(right)) if (key in left && !deepEqual(left[key], right[key])) return undefined;
      return { ...left, ...right };
    }
    case 'or':
    case 'not':
    case 'present':
    case 'valuePath':
      return undefined;
    default: {
      const unreachable: never = filter;
      throw new Error(`unknown bound filter ${JSON.stringify(unreachable)}`);
    }
  }
}
