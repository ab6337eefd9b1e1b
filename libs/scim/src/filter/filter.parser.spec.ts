import type { FilterNode } from './filter.ast';
import { parseAttributePath, parseFilter, parsePatchPath } from './filter.parser';
import { printFilter } from './filter.printer';
import { scimTypeOf } from '../../test-support/scim-type-of';

const eq = (name: string, value: string, extra: { uri?: string; subAttr?: string } = {}): FilterNode => ({
  kind: 'comparison',
  path: { ...(extra.uri ? { uri: extra.uri } : {}), name, ...(extra.subAttr ? { subAttr: extra.subAttr } : {}) },
  operator: 'eq',
  value,
});

describe('parseFilter: every example of RFC 7644 §3.4.2.2', () => {
  it.each([
    ['userName eq "bjensen"', eq('userName', 'bjensen')],
    ['name.familyName co "O\'Malley"', { kind: 'comparison', path: { name: 'name', subAttr: 'familyName' }, operator: 'co', value: "O'Malley" }],
    ['userName sw "J"', { kind: 'comparison', path: { name: 'userName' }, operator: 'sw', value: 'J' }],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
      { kind: 'comparison', path: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', name: 'userName' }, operator: 'sw', value: 'J' },
    ],
    ['title pr', { kind: 'present', path: { name: 'title' } }],
    ...(['gt', 'ge', 'lt', 'le'] as const).map((op): [string, FilterNode] => [
      `meta.lastModified ${op} "2011-05-13T04:42:34Z"`,
      { kind: 'comparison', path: { name: 'meta', subAttr: 'lastModified' }, operator: op, value: '2011-05-13T04:42:34Z' },
    ]),
    [
      'title pr and userType eq "Employee"',
      { kind: 'logical', operator: 'and', left: { kind: 'present', path: { name: 'title' } }, right: eq('userType', 'Employee') },
    ],
    [
      'title pr or userType eq "Intern"',
      { kind: 'logical', operator: 'or', left: { kind: 'present', path: { name: 'title' } }, right: eq('userType', 'Intern') },
    ],
    ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', eq('schemas', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User')],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      {
        kind: 'logical',
        operator: 'and',
        left: eq('userType', 'Employee'),
        right: {
          kind: 'logical',
          operator: 'or',
          left: { kind: 'comparison', path: { name: 'emails' }, operator: 'co', value: 'example.com' },
          right: { kind: 'comparison', path: { name: 'emails', subAttr: 'value' }, operator: 'co', value: 'example.org' },
        },
      },
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      {
        kind: 'logical',
        operator: 'and',
        left: { kind: 'comparison', path: { name: 'userType' }, operator: 'ne', value: 'Employee' },
        right: {
          kind: 'not',
          filter: {
            kind: 'logical',
            operator: 'or',
            left: { kind: 'comparison', path: { name: 'emails' }, operator: 'co', value: 'example.com' },
            right: { kind: 'comparison', path: { name: 'emails', subAttr: 'value' }, operator: 'co', value: 'example.org' },
          },
        },
      },
    ],
    [
      'userType eq "Employee" and (emails.type eq "work")',
      { kind: 'logical', operator: 'and', left: eq('userType', 'Employee'), right: eq('emails', 'work', { subAttr: 'type' }) },
    ],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      {
        kind: 'logical',
        operator: 'and',
        left: eq('userType', 'Employee'),
        right: {
          kind: 'valuePath',
          path: { name: 'emails' },
          filter: { kind: 'logical', operator: 'and', left: eq('type', 'work'), right: { kind: 'comparison', path: { name: 'value' }, operator: 'co', value: '@example.com' } },
        },
      },
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      {
        kind: 'logical',
        operator: 'or',
        left: {
          kind: 'valuePath',
          path: { name: 'emails' },
          filter: { kind: 'logical', operator: 'and', left: eq('type', 'work'), right: { kind: 'comparison', path: { name: 'value' }, operator: 'co', value: '@example.com' } },
        },
        right: {
          kind: 'valuePath',
          path: { name: 'ims' },
          filter: { kind: 'logical', operator: 'and', left: eq('type', 'xmpp'), right: { kind: 'comparison', path: { name: 'value' }, operator: 'co', value: '@foo.com' } },
        },
      },
    ],
  ] as [string, FilterNode][])('parses %s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });
});

describe('parseFilter: grammar details', () => {
  it('gives "and" precedence over "or" and associates left', () => {
    expect(printFilter(parseFilter('a eq "1" or b eq "2" and c eq "3"'))).toBe('a eq "1" or b eq "2" and c eq "3"');
    const tree = parseFilter('a pr and b pr and c pr');
    expect(tree).toMatchObject({ kind: 'logical', operator: 'and', left: { kind: 'logical', operator: 'and' }, right: { kind: 'present' } });
  });

  it('reads operators and keywords in any case (RFC 7644 §3.4.2.2)', () => {
    expect(parseFilter('userName EQ "x" AND NOT (active Eq TRUE)')).toEqual({
      kind: 'logical',
      operator: 'and',
      left: eq('userName', 'x'),
      right: { kind: 'not', filter: { kind: 'comparison', path: { name: 'active' }, operator: 'eq', value: true } },
    });
  });

  it('decodes JSON string escapes in values', () => {
    expect(parseFilter('userName eq "a\\"b\\\\c\\u0041"')).toEqual(eq('userName', 'a"b\\cA'));
  });

  it('reads booleans, null and JSON numbers as typed values', () => {
    expect(parseFilter('active eq false')).toMatchObject({ value: false });
    expect(parseFilter('title eq null')).toMatchObject({ value: null });
    expect(parseFilter('x gt -1.5e3')).toMatchObject({ value: -1500 });
  });

  it('turns Entra ID\'s emails[type eq "work"].value eq "x" into one value path that must match both', () => {
    expect(parseFilter('emails[type eq "work"].value eq "x@y.com"')).toEqual({
      kind: 'valuePath',
      path: { name: 'emails' },
      filter: { kind: 'logical', operator: 'and', left: eq('type', 'work'), right: eq('value', 'x@y.com') },
    });
  });

  it('lets attributes be named like keywords, since meaning comes from position', () => {
    expect(parseFilter('pr pr')).toEqual({ kind: 'present', path: { name: 'pr' } });
    expect(parseFilter('and eq "x"')).toEqual(eq('and', 'x'));
  });

  it.each([
    ['userName eq', 'a missing value'],
    ['userName eq bjensen', 'an unquoted string'],
    ['userName "x"', 'a missing operator'],
    ['userName xx "x"', 'an unknown operator'],
    ['(userName eq "x"', 'an unclosed parenthesis'],
    ['userName eq "x")', 'a stray parenthesis'],
    ['userName eq "x" and', 'a dangling "and"'],
    ['userName eq "x" junk', 'trailing words'],
    ['1abc eq "x"', 'a name starting with a digit'],
    ['emails[value eq "x" and emails[type eq "y"]]', 'a nested value path'],
    ['emails[urn:x:y:value eq "x"]', 'a qualified name inside a value path'],
    ['name.givenName.x eq "a"', 'more than one level of sub-attribute'],
    ['userName eq "unterminated', 'an unterminated string'],
    ['userName eq "bad \\q escape"', 'an invalid escape'],
    ['not userName eq "x"', '"not" without parentheses'],
    ['', 'an empty filter'],
  ])('rejects %s (%s) with invalidFilter', (text) => {
    expect(scimTypeOf(() => parseFilter(text))).toBe('invalidFilter');
  });

  it('rejects filters longer than the limit, before parsing', () => {
    expect(scimTypeOf(() => parseFilter(`userName eq "${'x'.repeat(5000)}"`))).toBe('invalidFilter');
  });

  it('rejects nesting deeper than the limit instead of overflowing the stack', () => {
    expect(scimTypeOf(() => parseFilter(`${'('.repeat(40)}a pr${')'.repeat(40)}`))).toBe('invalidFilter');
  });
});

describe('parsePatchPath: the path forms of RFC 7644 §3.5.2', () => {
  it.each([
    ['members', { attribute: { name: 'members' } }],
    ['name.familyName', { attribute: { name: 'name', subAttr: 'familyName' } }],
    ['members[value eq "2819c223-7f76-453a-919d-413861904646"]', { attribute: { name: 'members' }, filter: eq('value', '2819c223-7f76-453a-919d-413861904646') }],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName',
      { attribute: { name: 'members' }, filter: eq('value', '2819c223-7f76-453a-919d-413861904646'), subAttr: 'displayName' },
    ],
    ['addresses[type eq "work"].streetAddress', { attribute: { name: 'addresses' }, filter: eq('type', 'work'), subAttr: 'streetAddress' }],
    [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
      { attribute: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'employeeNumber' } },
    ],
    [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
      { attribute: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'manager', subAttr: 'value' } },
    ],
  ])('parses %s', (text, expected) => {
    expect(parsePatchPath(text)).toEqual(expected);
  });

  it.each(['members[value eq "x"', 'members[value eq "x"].', 'name.givenName[value eq "x"]', 'members[value eq "x"] extra', 'emails..value'])(
    'rejects %s with invalidPath',
    (text) => {
      expect(scimTypeOf(() => parsePatchPath(text))).toBe('invalidPath');
    },
  );
});

describe('parseAttributePath', () => {
  it('splits a schema-qualified name at the last colon, leaving the dots of "2.0" alone', () => {
    expect(parseAttributePath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName')).toEqual({
      uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      name: 'manager',
      subAttr: 'displayName',
    });
  });

  it('rejects a name with spaces with invalidValue', () => {
    expect(scimTypeOf(() => parseAttributePath('user name'))).toBe('invalidValue');
  });
});
