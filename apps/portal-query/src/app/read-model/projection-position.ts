/*
 * "Position" of the read models: for every partition of the three topics, the next Kafka offset the
 * current generation has yet to apply (what the runner records in the same transaction as the rows).
 * A position P is reached when every partition's applied offset is at least P's. Kafka offsets are the
 * one coordinate all generations share, so a position taken before a rebuild's switch-over still means
 * the same after it. Sent to clients as an opaque base64url string.
 */

export type Offsets = ReadonlyMap<string, bigint>;

const key = (topic: string, partition: number): string => `${topic}#${partition}`;

export function offsetsFrom(rows: readonly { topic: string; partition: number; next_offset: string }[]): Offsets {
  return new Map(rows.map((r) => [key(r.topic, r.partition), BigInt(r.next_offset)]));
}

export function encodePosition(offsets: Offsets): string {
  const entries = [...offsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.toString()]);
  return Buffer.from(JSON.stringify(entries), 'utf8').toString('base64url');
}

/** The offsets of a position a client sent back; undefined if it is not one. */
export function decodePosition(token: string): Offsets | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed)) return undefined;
    const offsets = new Map<string, bigint>();
    for (const entry of parsed) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !/^\d{1,19}$/.test(entry[1])) return undefined;
      offsets.set(entry[0], BigInt(entry[1]));
    }
    return offsets;
  } catch {
    return undefined;
  }
}

/** Whether `applied` is at or past `wanted` on every partition `wanted` names. */
export function hasReached(applied: Offsets, wanted: Offsets): boolean {
  for (const [k, offset] of wanted) if ((applied.get(k) ?? 0n) < offset) return false;
  return true;
}
