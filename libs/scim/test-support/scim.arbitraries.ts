/**
 * fast-check generators shared by the property tests. Outside `src/` so the library build never sees
 * fast-check; only spec files import this.
 */
import fc from 'fast-check';
import type { AttributePath, ComparisonOperator, FilterNode, FilterValue } from '../src/filter/filter.ast';
import type { PatchOperation } from '../src/patch/patch.request';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

// ---------------------------------------------------------------- syntax-level filters (round trip)

const nameChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'.split(''));
const attrName = fc.oneof(
  fc.tuple(fc.constantFrom(...'abcxyzABCXYZ'.split('')), fc.array(nameChars, { maxLength: 8 })).map(([first, rest]) => first + rest.join('')),
  fc.constantFrom('userName', 'emails', 'value', '$ref', 'pr', 'and', 'or', 'not', 'eq', 'true', 'null'),
);
const schemaUri = fc.constantFrom(CORE_USER, ENTERPRISE, 'urn:example:ext:1.0:Thing', 'urn:x');

const attributePath: fc.Arbitrary<AttributePath> = fc.record(
  { uri: schemaUri, name: attrName, subAttr: attrName },
  { requiredKeys: ['name'] },
);
const relativePath: fc.Arbitrary<AttributePath> = attrName.map((name) => ({ name }));

const operators: readonly ComparisonOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
const filterValue: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ maxLength: 6 }).map((s) => `${s}"\\\n\t${s}`),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  fc.integer(),
);

function filterTree(path: fc.Arbitrary<AttributePath>, allowValuePath: boolean): fc.Arbitrary<FilterNode> {
  const { node } = fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('comparison' as const), path, operator: fc.constantFrom(...operators), value: filterValue }),
      fc.record({ kind: fc.constant('present' as const), path }),
      fc.record({ kind: fc.constant('logical' as const), operator: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') }),
      fc.record({ kind: fc.constant('not' as const), filter: tie('node') }),
      ...(allowValuePath
        ? [
            fc.record({
              kind: fc.constant('valuePath' as const),
              path: fc.record({ uri: schemaUri, name: attrName }, { requiredKeys: ['name'] }),
              filter: filterTree(relativePath, false),
            }),
          ]
        : []),
    ),
  }));
  return node;
}

export const filterAst: fc.Arbitrary<FilterNode> = filterTree(attributePath, true);

// ---------------------------------------------------------------- User resources and schema-aware filters

/** Small alphabets make equal, prefix and case-variant values likely, which is where bugs hide. */
const word = fc.constantFrom('ann', 'Ann', 'ANN', 'bob', 'bo', 'b%o', 'a_b', "o'hara", 'x\\y', 'é', 'zed', '');
const emailValue = fc.tuple(word, fc.constantFrom('@x.com', '@X.com', '@y.org')).map(([a, b]) => a + b);
const emailType = fc.constantFrom('work', 'home', 'Work', 'other');
const isoDate = fc
  .integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2012, 0, 1) })
  .map((ms) => new Date(Math.floor(ms / 60000) * 60000).toISOString());

export const rawEmail = fc.record({ value: emailValue, type: emailType, primary: fc.boolean(), display: word }, { requiredKeys: ['value'] });

/** Raw User bodies: validate them to get canonical resources (the generator may produce 2 primaries). */
export const rawUser = fc.record(
  {
    userName: word.filter((w) => w !== ''),
    displayName: word,
    title: word,
    userType: fc.constantFrom('Employee', 'Intern', 'employee'),
    active: fc.boolean(),
    name: fc.record({ givenName: word, familyName: word }, { requiredKeys: [] }),
    emails: fc.array(rawEmail, { maxLength: 3 }),
    ims: fc.array(fc.record({ value: emailValue, type: fc.constantFrom('xmpp', 'aim') }), { maxLength: 2 }),
    [ENTERPRISE]: fc.record(
      { employeeNumber: fc.constantFrom('1', '10', '2', 'A7'), department: word, manager: fc.record({ value: fc.constantFrom('m1', 'M1', 'm2') }) },
      { requiredKeys: [] },
    ),
    meta: fc.record({ resourceType: fc.constant('User'), created: isoDate, lastModified: isoDate }),
  },
  { requiredKeys: ['userName'] },
);

const stringPaths = [
  'userName',
  'displayName',
  'title',
  'userType',
  'name.givenName',
  'name.familyName',
  'emails.value',
  'emails.type',
  'emails.display',
  'emails',
  'ims.value',
  `${ENTERPRISE}:employeeNumber`,
  'department',
  `${ENTERPRISE}:manager.value`,
  'id',
  'schemas',
] as const;

function path(text: string): AttributePath {
  const colon = text.lastIndexOf(':');
  const uri = colon >= 0 ? text.slice(0, colon) : undefined;
  const [name, subAttr] = (colon >= 0 ? text.slice(colon + 1) : text).split('.') as [string, string | undefined];
  return { ...(uri ? { uri } : {}), name, ...(subAttr ? { subAttr } : {}) };
}

const stringComparison = fc.record({
  kind: fc.constant('comparison' as const),
  path: fc.constantFrom(...stringPaths).map(path),
  operator: fc.constantFrom(...operators),
  value: fc.oneof(word, emailValue, fc.constantFrom('@x', 'X.COM', 'a', ENTERPRISE, 'm1')),
});
const nullComparison = fc.record({
  kind: fc.constant('comparison' as const),
  path: fc.constantFrom(...stringPaths, 'active', 'meta.lastModified').map(path),
  operator: fc.constantFrom('eq' as const, 'ne' as const),
  value: fc.constant(null),
});
const booleanComparison = fc.record({
  kind: fc.constant('comparison' as const),
  path: fc.constantFrom('active', 'emails.primary').map(path),
  operator: fc.constantFrom('eq' as const, 'ne' as const),
  value: fc.boolean(),
});
const dateComparison = fc.record({
  kind: fc.constant('comparison' as const),
  path: fc.constantFrom('meta.lastModified', 'meta.created').map(path),
  operator: fc.constantFrom(...operators.filter((op) => !['co', 'sw', 'ew'].includes(op))),
  value: isoDate,
});
const present = fc.record({
  kind: fc.constant('present' as const),
  path: fc.constantFrom(...stringPaths, 'active', 'name', 'emails', 'emails.primary', ENTERPRISE, `${ENTERPRISE}:manager`).map(path),
});
const emailCondition: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ kind: fc.constant('comparison' as const), path: fc.constantFrom('value', 'type', 'display').map((name) => ({ name })), operator: fc.constantFrom(...operators), value: fc.oneof(word, emailType, emailValue) }),
  fc.record({ kind: fc.constant('comparison' as const), path: fc.constant({ name: 'primary' }), operator: fc.constantFrom('eq' as const, 'ne' as const), value: fc.boolean() }),
  fc.record({ kind: fc.constant('present' as const), path: fc.constantFrom('value', 'type', 'primary', 'display').map((name) => ({ name })) }),
);
const emailFilter: fc.Arbitrary<FilterNode> = fc.oneof(
  emailCondition,
  fc.record({ kind: fc.constant('logical' as const), operator: fc.constantFrom('and' as const, 'or' as const), left: emailCondition, right: emailCondition }),
  fc.record({ kind: fc.constant('not' as const), filter: emailCondition }),
);
const valuePath = fc.record({ kind: fc.constant('valuePath' as const), path: fc.constant({ name: 'emails' }), filter: emailFilter });

/** Filters valid for User: every one binds, so SQL and the evaluator must both answer it. */
export const userFilter: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    stringComparison,
    nullComparison,
    booleanComparison,
    dateComparison,
    present,
    valuePath,
    fc.record({ kind: fc.constant('logical' as const), operator: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), filter: tie('node') }),
  ),
})).node;

export const userSortBy = fc.constantFrom(
  'userName',
  'displayName',
  'title',
  'active',
  'name.givenName',
  'emails.value',
  'emails',
  'emails.type',
  'meta.lastModified',
  `${ENTERPRISE}:employeeNumber`,
  'id',
);

// ---------------------------------------------------------------- PATCH operations

const patchPaths = fc.constantFrom(
  'userName',
  'displayName',
  'title',
  'active',
  'name',
  'name.givenName',
  'name.familyName',
  'emails',
  'emails.value',
  'emails.primary',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "work"].primary',
  'emails[value co "x"]',
  'emails[primary eq true].type',
  'ims',
  'ims[type eq "xmpp"].value',
  'id',
  'meta.lastModified',
  'groups',
  'password',
  ENTERPRISE,
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:manager`,
  `${ENTERPRISE}:manager.value`,
  'department',
  'bogus',
  'emails[',
);
const patchValue = fc.oneof(
  word,
  fc.boolean(),
  fc.constantFrom('True', 'false', null, '', 7, { givenName: 'G' }, { value: 'v@x.com', primary: true }),
  rawEmail,
  fc.array(rawEmail, { maxLength: 3 }),
  fc.record({ value: fc.constantFrom('m1', 'm2') }),
  fc.dictionary(fc.constantFrom('displayName', 'name.givenName', 'active', `${ENTERPRISE}:department`, 'emails', 'unknownThing', 'id'), fc.oneof(word, fc.boolean(), rawEmail), { maxKeys: 3 }),
);

export const patchOperation: fc.Arbitrary<PatchOperation> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'replace' as const, 'remove' as const), path: patchPaths, value: patchValue }, { requiredKeys: ['op', 'path'] }),
  fc.record({
    op: fc.constantFrom('add' as const, 'replace' as const),
    value: fc.dictionary(fc.constantFrom('displayName', 'name.givenName', 'active', `${ENTERPRISE}:department`, 'emails', 'title', 'id', 'userName'), fc.oneof(word, fc.boolean(), rawEmail, fc.array(rawEmail, { maxLength: 2 })), { maxKeys: 4 }),
  }),
);
