import { BadRequestException } from '@nestjs/common';

/*
 * Opaque cursors: base64url of `<kind>:<position>`. Opaque so the representation can change; the kind
 * keeps a delivery-log cursor from being passed to the events API by mistake.
 */

export function encodeCursor(kind: 'ev' | 'dl', position: string): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: 'ev' | 'dl', cursor: string | undefined, name: string): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^([a-z]+):(\d{1,19})$/.exec(text);
  if (!match || match[1] !== kind) throw new BadRequestException(`${name} is not a cursor this API returned`);
  return match[2] as string;
}
