import { BadRequestException } from '@nestjs/common';

/*
 * Keyset pagination: a cursor is the last row's sort value and id, bound to the sort it was made for,
 * as base64url JSON. Opaque to clients (its shape may change), checked on the way in: a cursor of
 * another sort or order is refused rather than silently giving a wrong page.
 */

export interface CursorPayload {
  /** The sort and order the cursor belongs to, e.g. `userName:asc`. */
  readonly s: string;
  /** The last row's sort value (as PostgreSQL text) and id. */
  readonly v: string | null;
  readonly id: string;
}

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The payload of a client's cursor for `sort`; 400 if it is not one of ours or belongs to another sort. */
export function decodeCursor(cursor: string, sort: string): CursorPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestException(['cursor is not a cursor this API returned']);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as Record<string, unknown>)['s'] !== 'string' ||
    typeof (parsed as Record<string, unknown>)['id'] !== 'string' ||
    !['string', 'object'].includes(typeof (parsed as Record<string, unknown>)['v'])
  ) {
    throw new BadRequestException(['cursor is not a cursor this API returned']);
  }
  const payload = parsed as CursorPayload;
  if (payload.v !== null && typeof payload.v !== 'string') throw new BadRequestException(['cursor is not a cursor this API returned']);
  if (payload.s !== sort) throw new BadRequestException([`cursor was made for sort ${payload.s}, not ${sort}`]);
  return payload;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards in it taken literally. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  /** Matching rows in all pages; with `totalCapped`, at least this many. */
  readonly total: number;
  readonly totalCapped: boolean;
}
