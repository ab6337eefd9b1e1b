import { ScimError } from '../errors/scim.error';
import { compileListQuery } from '../list/list-query.sql';
import { parseAttributePath, parseFilter } from './filter.parser';
import { compileFilter } from './filter.sql';

const options = { resourceType: 'User', column: 'r.resource', firstParamIndex: 3 };

describe('compileFilter', () => {
  it('puts every value in a numbered parameter, starting at firstParamIndex', () => {
    const { sql, params } = compileFilter(parseFilter('userName eq "bjensen" and title co "Guide"'), options);
    expect(params).toEqual(['bjensen', 'Guide']);
    expect(sql).toContain('$3::text');
    expect(sql).toContain('$4::text');
    expect(sql).not.toContain('bjensen');
    expect(sql).not.toContain('Guide');
  });

  it('keeps hostile values out of the SQL text', () => {
    const hostile = `x'); DROP TABLE scim_resources; --`;
    const { sql, params } = compileFilter(parseFilter(`userName eq ${JSON.stringify(hostile)} or displayName sw "%_"`), options);
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('%_');
    expect(params).toEqual([hostile, '%_']);
  });

  it('renders attribute keys from the schema, in canonical case, not as the client wrote them', () => {
    const { sql } = compileFilter(parseFilter('USERNAME eq "x" and NAME.GIVENNAME pr'), options);
    expect(sql).toContain("'userName'");
    expect(sql).toContain("'givenName'");
    expect(sql).not.toMatch(/USERNAME|GIVENNAME/);
  });

  it('refuses attribute names the schema does not define, so they never reach SQL', () => {
    expect(() => compileFilter(parseFilter('x$y eq "1"'), options)).toThrow(ScimError);
    expect(() => compileFilter(parseFilter('evil eq "1"'), options)).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
  });

  it('refuses a column that is not an identifier', () => {
    expect(() => compileFilter(parseFilter('userName pr'), { ...options, column: 'r.resource; DROP TABLE x' })).toThrow(/identifier/);
  });

  it('folds case on both sides for caseExact=false attributes and not for caseExact ones', () => {
    expect(compileFilter(parseFilter('userName eq "A"'), options).sql).toContain('lower($3::text)');
    expect(compileFilter(parseFilter('externalId eq "A"'), options).sql).not.toContain('lower(');
  });

  it('walks multi-valued attributes with EXISTS over their elements', () => {
    const { sql } = compileFilter(parseFilter('emails[type eq "work" and value co "@x.com"]'), options);
    expect(sql.match(/EXISTS/g)).toHaveLength(1);
    expect(sql).toContain("jsonb_array_elements");
  });

  it('uses no LIKE, so % and _ in values are plain characters', () => {
    const { sql } = compileFilter(parseFilter('userName co "a" or userName sw "b" or userName ew "c"'), options);
    expect(sql).not.toMatch(/LIKE/i);
  });
});

describe('compileListQuery', () => {
  it('numbers LIMIT/OFFSET after the filter parameters and always ends the order with id', () => {
    const compiled = compileListQuery(
      { filter: parseFilter('userName sw "a"'), sortBy: parseAttributePath('name.familyName'), sortOrder: 'descending', startIndex: 11, count: 5 },
      options,
    );
    expect(compiled.params).toEqual(['a', 5, 10]);
    expect(compiled.whereParams).toEqual(['a']);
    expect(compiled.limit).toBe('LIMIT $4::bigint OFFSET $5::bigint');
    expect(compiled.orderBy).toMatch(/DESC NULLS FIRST, \(r\.resource ->> 'id'\) COLLATE "C" ASC$/);
  });

  it('orders by id alone when no sortBy is given, for stable paging', () => {
    expect(compileListQuery({ sortOrder: 'ascending', startIndex: 1, count: 100 }, options).orderBy).toBe(`(r.resource ->> 'id') COLLATE "C" ASC`);
  });

  it('rejects sorting by an unknown attribute with invalidValue', () => {
    expect(() => compileListQuery({ sortBy: parseAttributePath('nope'), sortOrder: 'ascending', startIndex: 1, count: 1 }, options)).toThrow(
      expect.objectContaining({ scimType: 'invalidValue' }),
    );
  });
});
