import { ScimError } from '../errors/scim.error';
import { assertIfMatch, buildMeta, formatETag, ifMatchSatisfied, parseETag, withMeta } from './meta.builder';

describe('buildMeta', () => {
  it('builds resourceType, times, location under the base URL and a weak ETag', () => {
    expect(
      buildMeta({
        resourceType: 'user',
        id: 'a b/c',
        baseUrl: 'https://sync.example.com/directory/d1/scim/v2/',
        created: new Date('2024-01-02T03:04:05Z'),
        lastModified: '2024-01-02T04:04:05+01:00',
        version: 3,
      }),
    ).toEqual({
      resourceType: 'User',
      created: '2024-01-02T03:04:05.000Z',
      lastModified: '2024-01-02T03:04:05.000Z',
      location: 'https://sync.example.com/directory/d1/scim/v2/Users/a%20b%2Fc',
      version: 'W/"3"',
    });
  });

  it('places id after schemas and meta last', () => {
    const meta = buildMeta({ resourceType: 'Group', id: 'g', baseUrl: 'https://x', created: new Date(0), lastModified: new Date(0), version: 1 });
    expect(Object.keys(withMeta({ displayName: 'G', schemas: ['s'], id: 'old' }, 'g', meta))).toEqual(['schemas', 'id', 'displayName', 'meta']);
  });
});

describe('ETags', () => {
  it('round-trips a version through W/"n"', () => {
    expect(parseETag(formatETag(42))).toBe(42);
    expect(parseETag('"42"')).toBe(42);
    expect(parseETag('W/"abc"')).toBeUndefined();
  });

  it('honours If-Match: absent, *, or a list naming the current version', () => {
    expect(ifMatchSatisfied(undefined, 3)).toBe(true);
    expect(ifMatchSatisfied('*', 3)).toBe(true);
    expect(ifMatchSatisfied('W/"2", W/"3"', 3)).toBe(true);
    expect(ifMatchSatisfied('W/"2"', 3)).toBe(false);
  });

  it('answers a stale If-Match with 412', () => {
    expect(() => assertIfMatch('W/"2"', 3)).toThrow(ScimError);
    try {
      assertIfMatch('W/"2"', 3);
    } catch (error) {
      expect((error as ScimError).status).toBe(412);
    }
  });
});
