import { validateResource } from '../schema/resource.validator';
import { parseListQuery, parseSearchRequest } from './list-query';
import { buildListResponse } from './list-response';
import { paginate, sortResources } from './sort.evaluator';
import { scimTypeOf } from '../../test-support/scim-type-of';

describe('parseListQuery', () => {
  it("reads Okta's lookup: filter, startIndex=1, count=100", () => {
    const query = parseListQuery({ filter: 'userName eq "test.user@okta.local"', startIndex: '1', count: '100' });
    expect(query).toEqual({
      filter: { kind: 'comparison', path: { name: 'userName' }, operator: 'eq', value: 'test.user@okta.local' },
      sortOrder: 'ascending',
      startIndex: 1,
      count: 100,
      attributes: [],
      excludedAttributes: [],
    });
  });

  it('applies RFC 7644 §3.4.2.4: startIndex below 1 is 1, negative count is 0, count capped', () => {
    expect(parseListQuery({ startIndex: '0', count: '-5' })).toMatchObject({ startIndex: 1, count: 0 });
    expect(parseListQuery({ count: '100000' }, { maxCount: 500 })).toMatchObject({ count: 500 });
    expect(parseListQuery({}, { defaultCount: 20 })).toMatchObject({ startIndex: 1, count: 20 });
  });

  it('splits comma-separated attribute lists and reads parameter names in any case', () => {
    expect(parseListQuery({ EXCLUDEDATTRIBUTES: 'members, meta', sortby: 'name.familyName', SortOrder: 'Descending' })).toMatchObject({
      excludedAttributes: ['members', 'meta'],
      sortBy: { name: 'name', subAttr: 'familyName' },
      sortOrder: 'descending',
    });
  });

  it.each([
    [{ count: 'ten' }, 'invalidValue'],
    [{ startIndex: '1.5' }, 'invalidValue'],
    [{ sortOrder: 'sideways' }, 'invalidValue'],
    [{ filter: 'userName eq' }, 'invalidFilter'],
  ])('rejects %j with %s', (params, scimType) => {
    expect(scimTypeOf(() => parseListQuery(params))).toBe(scimType);
  });
});

describe('parseSearchRequest', () => {
  it('reads a POST /.search body with attribute arrays and numeric paging', () => {
    expect(
      parseSearchRequest({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        attributes: ['displayName', 'userName'],
        filter: 'displayName sw "smith"',
        startIndex: 1,
        count: 10,
      }),
    ).toMatchObject({ attributes: ['displayName', 'userName'], startIndex: 1, count: 10, filter: { operator: 'sw' } });
  });

  it('rejects a body with another schema', () => {
    expect(scimTypeOf(() => parseSearchRequest({ schemas: ['urn:x'], filter: 'userName pr' }))).toBe('invalidSyntax');
  });
});

describe('sortResources and paginate', () => {
  const users = [
    { id: 'c', userName: 'carol', emails: [{ value: 'z@x', primary: false }, { value: 'a@x', primary: true }] },
    { id: 'a', userName: 'Alice', active: true, emails: [{ value: 'm@x' }] },
    { id: 'b', userName: 'bob', active: false },
  ].map((body) => validateResource(body, { resourceType: 'User', mode: 'stored' }).resource);
  const ids = (list: readonly Record<string, unknown>[]): unknown[] => list.map((u) => u['id']);

  it('sorts case-insensitively for caseExact=false attributes', () => {
    expect(ids(sortResources(users, { sortBy: { name: 'userName' }, sortOrder: 'ascending' }, { resourceType: 'User' }))).toEqual(['a', 'b', 'c']);
  });

  it('sorts multi-valued attributes by the primary value, missing values last ascending and first descending', () => {
    expect(ids(sortResources(users, { sortBy: { name: 'emails' }, sortOrder: 'ascending' }, { resourceType: 'User' }))).toEqual(['c', 'a', 'b']);
    expect(ids(sortResources(users, { sortBy: { name: 'emails', subAttr: 'value' }, sortOrder: 'descending' }, { resourceType: 'User' }))).toEqual(['b', 'a', 'c']);
  });

  it('sorts booleans false before true', () => {
    expect(ids(sortResources(users, { sortBy: { name: 'active' }, sortOrder: 'ascending' }, { resourceType: 'User' }))).toEqual(['b', 'a', 'c']);
  });

  it('orders by id when there is no sortBy, and pages 1-based', () => {
    const sorted = sortResources(users, { sortOrder: 'ascending' }, { resourceType: 'User' });
    expect(ids(sorted)).toEqual(['a', 'b', 'c']);
    expect(ids(paginate(sorted, { startIndex: 2, count: 1 }))).toEqual(['b']);
    expect(paginate(sorted, { startIndex: 10, count: 5 })).toEqual([]);
  });
});

describe('buildListResponse', () => {
  it('answers a lookup that finds nothing with integers and an empty Resources list', () => {
    expect(buildListResponse({ resources: [], totalResults: 0, startIndex: 1 })).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });
});
