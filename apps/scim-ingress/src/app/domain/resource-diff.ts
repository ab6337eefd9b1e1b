import { isDeepStrictEqual } from 'node:util';

export type Resource = Readonly<Record<string, unknown>>;

/** Attributes that never count as a change: server bookkeeping and what has its own events. */
const BOOKKEEPING = new Set(['meta', 'schemas', 'id']);
const EXTENSION_URN = /^urn:/i;

/**
 * Top-level attribute names whose value differs between two canonical resources; extension attributes
 * as `<extension URN>:<attribute>` (the contract's `changedAttributes`). `ignore` names attributes that
 * have events of their own (`active`, `members`).
 */
export function changedAttributes(before: Resource, after: Resource, ignore: readonly string[] = []): string[] {
  const skip = new Set([...BOOKKEEPING, ...ignore]);
  const changed: string[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    if (skip.has(key)) continue;
    const a = before[key];
    const b = after[key];
    if (EXTENSION_URN.test(key)) {
      const ea = isPlainObject(a) ? a : {};
      const eb = isPlainObject(b) ? b : {};
      for (const attr of [...new Set([...Object.keys(ea), ...Object.keys(eb)])].sort()) {
        if (!isDeepStrictEqual(ea[attr], eb[attr])) changed.push(`${key}:${attr}`);
      }
      continue;
    }
    if (!isDeepStrictEqual(a, b)) changed.push(key);
  }
  return changed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
