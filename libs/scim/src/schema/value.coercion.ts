import { ScimError } from '../errors/scim.error';
import { isPlainObject, type JsonObject, type JsonValue } from '../util/json.util';
import { subAttributeOf } from './schema.registry';
import type { AttributeDefinition } from './schema.types';

/**
 * Turns a client-supplied value into its canonical form for one attribute. Liberal where the meaning is
 * unambiguous and IdPs are known to differ (README "Rules that follow"): `null` and `""` mean unset,
 * `"True"`/`"false"` are booleans, a single object is a one-element multi-valued attribute (OneLogin's
 * `emails`), numbers are accepted for strings (OneLogin templates), sub-attribute names in any case.
 * Anything else of the wrong type is a 400 `invalidValue`, never dropped quietly.
 */
export interface CoercionContext {
  /** `input`: from a client, readOnly values are ignored. `stored`: the server's own document. */
  readonly mode: 'input' | 'stored';
  /** Paths of attributes no schema declares. */
  readonly unknown: string[];
  /** Paths of attributes present in the input but ignored by their mutability (readOnly, writeOnly). */
  readonly ignored: string[];
}

const XSD_DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const INTEGER = /^\s*-?\d+\s*$/;
const DECIMAL = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** For reporting only: an empty list or object carries no data worth mentioning as ignored or unknown. */
export function isEmptyInput(value: unknown): boolean {
  return isUnset(value) || (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

/** The value of an attribute (single or multi-valued), or `undefined` when it ends up unset. */
export function coerceAttribute(def: AttributeDefinition, raw: unknown, path: string, ctx: CoercionContext): JsonValue | undefined {
  if (isUnset(raw)) return undefined;
  if (def.multiValued) {
    const items = Array.isArray(raw) ? raw : [raw];
    const values: JsonValue[] = [];
    for (const item of items) {
      const value = coerceSingle(def, item, path, ctx);
      if (value !== undefined) values.push(value);
    }
    return values.length > 0 ? values : undefined;
  }
  if (Array.isArray(raw)) throw ScimError.invalidValue(`"${path}" is single-valued but an array was given`);
  return coerceSingle(def, raw, path, ctx);
}

/** One value of the attribute: an element when it is multi-valued. */
export function coerceSingle(def: AttributeDefinition, raw: unknown, path: string, ctx: CoercionContext): JsonValue | undefined {
  if (isUnset(raw)) return undefined;
  switch (def.type) {
    case 'complex':
      return coerceComplex(def, raw, path, ctx);
    case 'string':
      if (typeof raw === 'string') return raw;
      if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return String(raw);
      throw wrongType(path, 'a string', raw);
    case 'reference':
    case 'binary':
      if (typeof raw === 'string') return raw;
      throw wrongType(path, 'a string', raw);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const lower = raw.trim().toLowerCase();
        if (lower === 'true') return true;
        if (lower === 'false') return false;
      }
      throw wrongType(path, 'a boolean', raw);
    case 'integer':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'string' && INTEGER.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
      throw wrongType(path, 'an integer', raw);
    case 'decimal':
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (typeof raw === 'string' && DECIMAL.test(raw)) return Number(raw);
      throw wrongType(path, 'a number', raw);
    case 'dateTime': {
      const normalised = typeof raw === 'string' ? normaliseDateTime(raw) : undefined;
      if (normalised === undefined) throw wrongType(path, 'an xsd:dateTime such as 2011-05-13T04:42:34Z', raw);
      return normalised;
    }
    default: {
      const unreachable: never = def.type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}

/**
 * Canonical dateTime: UTC with milliseconds (`toISOString`). One form for every stored value makes the
 * in-memory comparison and PostgreSQL's `timestamptz` agree to the millisecond.
 */
export function normaliseDateTime(value: string): string | undefined {
  if (!XSD_DATE_TIME.test(value)) return undefined;
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) return undefined;
  return new Date(millis).toISOString();
}

function coerceComplex(def: AttributeDefinition, raw: unknown, path: string, ctx: CoercionContext): JsonObject | undefined {
  if (!isPlainObject(raw)) throw wrongType(path, 'an object', raw);
  const given: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    const sub = subAttributeOf(def, key);
    if (!sub) {
      if (!isEmptyInput(value)) ctx.unknown.push(`${path}.${key}`);
      continue;
    }
    if (ctx.mode === 'input' && (sub.mutability === 'readOnly' || sub.mutability === 'writeOnly')) {
      if (!isEmptyInput(value)) ctx.ignored.push(`${path}.${sub.name}`);
      continue;
    }
    const coerced = coerceAttribute(sub, value, `${path}.${sub.name}`, ctx);
    if (coerced !== undefined) given[sub.name] = coerced;
  }
  return orderedObject(def, given);
}

/** Sub-attributes in schema order, so equal resources serialise identically; `undefined` when empty. */
export function orderedObject(def: AttributeDefinition, values: Record<string, unknown>): JsonObject | undefined {
  const result: JsonObject = {};
  for (const sub of def.subAttributes ?? []) {
    const value = values[sub.name];
    if (value !== undefined) result[sub.name] = value as JsonValue;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function wrongType(path: string, expected: string, raw: unknown): ScimError {
  const shown = typeof raw === 'string' ? `"${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}"` : Array.isArray(raw) ? 'an array' : typeof raw;
  return ScimError.invalidValue(`"${path}" must be ${expected}, got ${shown}`);
}
