import { BadRequestException } from '@nestjs/common';
import { containsPattern, decodeCursor, encodeCursor } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips for the sort it was made for', () => {
    const cursor = encodeCursor({ s: 'userName:asc', v: 'ada@example.com', id: 'u-1' });
    expect(decodeCursor(cursor, 'userName:asc')).toEqual({ s: 'userName:asc', v: 'ada@example.com', id: 'u-1' });
    expect(decodeCursor(encodeCursor({ s: 'createdAt:desc', v: null, id: 'x' }), 'createdAt:desc').v).toBeNull();
  });

  it('refuses a cursor of another sort, or anything else, with 400', () => {
    const cursor = encodeCursor({ s: 'userName:asc', v: 'a', id: 'u-1' });
    expect(() => decodeCursor(cursor, 'userName:desc')).toThrow(BadRequestException);
    for (const bad of ['garbage', Buffer.from('[1]').toString('base64url'), Buffer.from('{"s":"userName:asc","v":1,"id":"x"}').toString('base64url'), Buffer.from('{"s":"userName:asc","v":"a"}').toString('base64url')]) {
      expect(() => decodeCursor(bad, 'userName:asc')).toThrow(BadRequestException);
    }
  });

  it('makes a contains pattern in which LIKE wildcards are literal', () => {
    expect(containsPattern('Ada')).toBe('%ada%');
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
