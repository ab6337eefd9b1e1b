import { decodePosition, encodePosition, hasReached } from './projection-position';

describe('projection position', () => {
  const at = (entries: [string, bigint][]): Map<string, bigint> => new Map(entries);

  it('round-trips through its opaque form, whatever the entry order', () => {
    const position = at([
      ['scim.role.events#1', 7n],
      ['scim.directory.events#0', 12_345_678_901_234n],
    ]);
    const token = encodePosition(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePosition(token)).toEqual(position);
    expect(encodePosition(at([...position].reverse()))).toBe(token);
  });

  it('refuses what it did not make', () => {
    for (const bad of ['', 'nonsense', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[["t#0",-1]]').toString('base64url'), Buffer.from('[["t#0","1e3"]]').toString('base64url')]) {
      expect({ bad, decoded: decodePosition(bad) }).toEqual({ bad, decoded: undefined });
    }
  });

  it('is reached when every partition it names is applied at least that far', () => {
    const applied = at([
      ['a#0', 10n],
      ['a#1', 3n],
    ]);
    expect(hasReached(applied, at([['a#0', 10n]]))).toBe(true);
    expect(hasReached(applied, at([['a#0', 9n], ['a#1', 3n]]))).toBe(true);
    expect(hasReached(applied, at([['a#0', 11n]]))).toBe(false);
    // A partition the read models have not applied anything from yet is at 0.
    expect(hasReached(applied, at([['b#0', 1n]]))).toBe(false);
    expect(hasReached(applied, at([['b#0', 0n]]))).toBe(true);
    expect(hasReached(applied, at([]))).toBe(true);
  });
});
