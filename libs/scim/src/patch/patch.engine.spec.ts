import { ScimError, type ScimErrorType } from '../errors/scim.error';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { applyPatch, applyPatchRequest } from './patch.engine';
import type { PatchOperation } from './patch.request';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BABS = '2819c223-7f76-453a-919d-413861904646';
const JAMES = '08e1d05d-121c-4561-8b96-473d93df9210';

const stored = (resourceType: 'User' | 'Group', body: Record<string, unknown>): ScimResource =>
  validateResource(body, { resourceType, mode: 'stored' }).resource;

const group = (): ScimResource =>
  stored('Group', {
    id: 'g1',
    displayName: 'Tour Guides',
    members: [
      { value: BABS, display: 'Babs Jensen' },
      { value: 'other-member', display: 'Other' },
    ],
  });

const user = (): ScimResource =>
  stored('User', {
    id: 'u1',
    userName: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    addresses: [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', primary: true }],
    [ENTERPRISE]: { employeeNumber: '701984' },
    meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z', version: 'W/"3"' },
  });

const patchUser = (...ops: PatchOperation[]): ScimResource => applyPatch(user(), ops, { resourceType: 'User' }).resource;
const patchGroup = (...ops: PatchOperation[]): ScimResource => applyPatch(group(), ops, { resourceType: 'Group' }).resource;

function failure(attempt: () => unknown): { status: number; scimType: ScimErrorType | undefined } {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ScimError) return { status: error.status, scimType: error.scimType };
    throw error;
  }
  throw new Error('expected a ScimError, but the patch applied');
}

describe('applyPatch: RFC 7644 §3.5.2.1 add', () => {
  it('adds a member to a group', () => {
    const result = patchGroup({ op: 'add', path: 'members', value: [{ display: 'James Smith', $ref: `https://example.com/v2/Users/${JAMES}`, value: JAMES }] });
    expect(result['members']).toEqual([
      { value: BABS, display: 'Babs Jensen' },
      { value: 'other-member', display: 'Other' },
      { value: JAMES, $ref: `https://example.com/v2/Users/${JAMES}`, display: 'James Smith' },
    ]);
  });

  it('adds path-less values, names in any case ("nickname" in the RFC example)', () => {
    const result = patchUser({ op: 'add', value: { emails: [{ value: 'babs@jensen.net', type: 'home' }], nickname: 'Babs' } });
    expect(result['nickName']).toBe('Babs');
    expect(result['emails']).toHaveLength(3);
    expect(result).not.toHaveProperty('nickname');
  });
});

describe('applyPatch: RFC 7644 §3.5.2.2 remove', () => {
  it('removes one member by value filter', () => {
    expect(patchGroup({ op: 'remove', path: `members[value eq "${BABS}"]` })['members']).toEqual([{ value: 'other-member', display: 'Other' }]);
  });

  it('removes all members when the path has no filter and no value', () => {
    expect(patchGroup({ op: 'remove', path: 'members' })).not.toHaveProperty('members');
  });

  it('removes emails matching a complex filter', () => {
    const result = patchUser({ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' });
    expect(result['emails']).toEqual([{ value: 'babs@jensen.org', type: 'home' }]);
  });

  it('removes several members with one "or" filter', () => {
    expect(patchGroup({ op: 'remove', path: `members[value eq "${BABS}" or value eq "other-member"]` })).not.toHaveProperty('members');
  });

  it('removes one certificate by value, leaving the attribute unassigned when it was the last', () => {
    const withCert = applyPatch(user(), [{ op: 'add', path: 'x509Certificates', value: [{ value: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw' }] }], { resourceType: 'User' }).resource;
    const result = applyPatch(withCert, [{ op: 'remove', path: 'x509Certificates[value eq "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"]' }], { resourceType: 'User' }).resource;
    expect(result).toEqual(user());
  });

  it('replaces all members with remove-all then add', () => {
    const result = patchGroup({ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ display: 'James Smith', value: JAMES }] });
    expect(result['members']).toEqual([{ value: JAMES, display: 'James Smith' }]);
  });

  it('fails with noTarget when remove has no path', () => {
    expect(failure(() => patchUser({ op: 'remove' }))).toEqual({ status: 400, scimType: 'noTarget' });
  });
});

describe('applyPatch: RFC 7644 §3.5.2.3 replace', () => {
  it('replaces all members', () => {
    const result = patchGroup({ op: 'replace', path: 'members', value: [{ display: 'Babs Jensen', value: BABS }, { display: 'James Smith', value: JAMES }] });
    expect(result['members']).toEqual([
      { value: BABS, display: 'Babs Jensen' },
      { value: JAMES, display: 'James Smith' },
    ]);
  });

  it('replaces a whole address selected by filter', () => {
    const address = { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', formatted: '911 Universal City Plaza\nHollywood, CA 91608 US', primary: true };
    expect(patchUser({ op: 'replace', path: 'addresses[type eq "work"]', value: address })['addresses']).toEqual([
      { formatted: address.formatted, streetAddress: address.streetAddress, locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', type: 'work', primary: true },
    ]);
  });

  it('replaces one sub-attribute of the address selected by filter', () => {
    const result = patchUser({ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' });
    expect(result['addresses']).toEqual([{ streetAddress: '1010 Broadway Ave', locality: 'Hollywood', type: 'work', primary: true }]);
  });

  it('replaces path-less: emails wholesale, and nickName', () => {
    const emails = [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ];
    const result = patchUser({ op: 'replace', value: { emails: [emails[1]], nickname: 'Babs' } });
    expect(result['emails']).toEqual([{ value: 'babs@jensen.org', type: 'home' }]);
    expect(result['nickName']).toBe('Babs');
  });

  it('merges sub-attributes of a complex attribute, leaving the others unchanged', () => {
    expect(patchUser({ op: 'replace', path: 'name', value: { givenName: 'Babs' } })['name']).toEqual({ familyName: 'Jensen', givenName: 'Babs' });
  });

  it('treats replace of an attribute that is not there as add', () => {
    expect(patchUser({ op: 'replace', path: 'title', value: 'Tour Guide' })['title']).toBe('Tour Guide');
  });

  it('fails with noTarget when a value filter matches nothing', () => {
    expect(failure(() => patchUser({ op: 'replace', path: 'emails[type eq "other"].value', value: 'x@y.z' }))).toEqual({ status: 400, scimType: 'noTarget' });
  });
});

describe('applyPatch: what IdPs send', () => {
  it('accepts op names in any case and "True"/"False" strings for booleans (Entra ID)', () => {
    const result = applyPatchRequest(user(), { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }, { resourceType: 'User' }).resource;
    expect(result['active']).toBe(false);
    expect(applyPatch(result, [{ op: 'replace', path: 'active', value: 'True' }], { resourceType: 'User' }).resource['active']).toBe(true);
  });

  it('deactivates with a path-less replace (Okta)', () => {
    expect(patchUser({ op: 'replace', value: { active: false } })['active']).toBe(false);
  });

  it('applies path-less dotted and URN-qualified keys (Entra ID aadOptscim062020)', () => {
    const result = patchUser({ op: 'replace', value: { displayName: 'Babs', 'name.givenName': 'Babs', [`${ENTERPRISE}:employeeNumber`]: '42' } });
    expect(result['displayName']).toBe('Babs');
    expect(result['name']).toEqual({ familyName: 'Jensen', givenName: 'Babs' });
    expect(result[ENTERPRISE]).toEqual({ employeeNumber: '42' });
  });

  it('merges a path-less extension object into the extension', () => {
    expect(patchUser({ op: 'add', value: { [ENTERPRISE]: { department: 'Tours' } } })[ENTERPRISE]).toEqual({ employeeNumber: '701984', department: 'Tours' });
  });

  it('replaces an extension attribute by its qualified path (Entra ID)', () => {
    expect(patchUser({ op: 'Replace' as 'replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Eqpj' })[ENTERPRISE]).toEqual({ employeeNumber: 'Eqpj' });
  });

  it('sets the manager through the sub-attribute path', () => {
    expect(patchUser({ op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'm-1' })[ENTERPRISE]).toEqual({ employeeNumber: '701984', manager: { value: 'm-1' } });
  });

  it('removes the extension and its schema URI when its last attribute goes', () => {
    const result = patchUser({ op: 'remove', path: `${ENTERPRISE}:employeeNumber` });
    expect(result).not.toHaveProperty([ENTERPRISE]);
    expect(result['schemas']).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('replaces the work email by value path (Entra ID)', () => {
    expect(patchUser({ op: 'replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' })['emails']).toEqual([
      { value: 'updatedEmail@microsoft.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
  });

  it('creates the value an eq-only filter describes when add finds none', () => {
    expect(patchUser({ op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' })['phoneNumbers']).toEqual([{ value: '+1 555 0100', type: 'mobile' }]);
  });

  it('fails with noTarget when add finds nothing and the filter does not describe a value', () => {
    expect(failure(() => patchUser({ op: 'add', path: 'phoneNumbers[type ne "mobile"].value', value: '1' }))).toEqual({ status: 400, scimType: 'noTarget' });
  });

  it('reads remove members WITH a value list as "remove these", not "remove all" (Entra ID, OneLogin, JumpCloud)', () => {
    expect(patchGroup({ op: 'Remove' as 'remove', path: 'members', value: [{ $ref: null, value: BABS }] })['members']).toEqual([{ value: 'other-member', display: 'Other' }]);
  });

  it('removes several members in one op and ignores ones that are not members', () => {
    const result = patchGroup({ op: 'remove', path: 'members', value: [{ value: BABS }, { value: 'OTHER-MEMBER' }, { value: 'never-a-member' }] });
    expect(result).not.toHaveProperty('members');
  });

  it('adds several members in one op, and re-adding existing ones changes nothing (Entra ID)', () => {
    const once = patchGroup({ op: 'Add' as 'add', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }, { $ref: null, value: 'a1b2c3' }] });
    expect(once['members']).toHaveLength(4);
    const again = applyPatch(once, [{ op: 'add', path: 'members', value: [{ value: 'f648f8d5ea4e4cd38e9c' }, { value: BABS }] }], { resourceType: 'Group' }).resource;
    expect(again).toEqual(once);
  });

  it('removing a member that is not there is a no-op, not an error (Okta, Entra ID)', () => {
    expect(patchGroup({ op: 'remove', path: 'members[value eq "nobody"]' })).toEqual(group());
  });

  it('renames a group from a path-less replace that also carries the id (Okta)', () => {
    const result = applyPatch(group(), [{ op: 'replace', value: { id: 'g1', displayName: 'Renamed' } }], { resourceType: 'Group' });
    expect(result.resource['displayName']).toBe('Renamed');
    expect(result.resource['id']).toBe('g1');
    expect(result.ignoredAttributes).toEqual([]);
  });

  it('never stores a password (Okta password sync) and says so in ignoredAttributes', () => {
    const result = applyPatch(user(), [{ op: 'replace', path: 'password', value: 'hunter2' }], { resourceType: 'User' });
    expect(result.resource).toEqual(user());
    expect(result.ignoredAttributes).toEqual(['password']);
  });

  it('makes a newly primary email the only primary one', () => {
    const result = patchUser({ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] });
    expect((result['emails'] as { value: string; primary?: boolean }[]).map((e) => [e.value, e.primary])).toEqual([
      ['bjensen@example.com', false],
      ['babs@jensen.org', undefined],
      ['new@example.com', true],
    ]);
  });

  it('sets primary through a value path and demotes the previous primary', () => {
    const result = patchUser({ op: 'replace', path: 'emails[type eq "home"].primary', value: 'true' });
    expect((result['emails'] as { primary?: boolean }[]).map((e) => e.primary)).toEqual([false, true]);
  });

  it('reports unknown path-less attributes by default and rejects them on request', () => {
    const reported = applyPatch(user(), [{ op: 'add', value: { favouriteColour: 'blue', title: 'Guide' } }], { resourceType: 'User' });
    expect(reported.unknownAttributes).toEqual(['favouriteColour']);
    expect(reported.resource['title']).toBe('Guide');
    expect(failure(() => applyPatch(user(), [{ op: 'add', value: { favouriteColour: 'blue' } }], { resourceType: 'User', unknownAttributes: 'reject' }))).toEqual({
      status: 400,
      scimType: 'invalidPath',
    });
  });

  it('leaves the input resource untouched', () => {
    const input = user();
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    applyPatch(input, [{ op: 'remove', path: 'emails' }, { op: 'replace', path: 'name.givenName', value: 'B' }], { resourceType: 'User' });
    expect(input).toEqual(copy);
  });

  it('is all or nothing: a failing op after a good one changes nothing', () => {
    const input = user();
    expect(failure(() => applyPatch(input, [{ op: 'replace', path: 'title', value: 'x' }, { op: 'replace', path: 'bogus', value: 1 }], { resourceType: 'User' })).scimType).toBe('invalidPath');
    expect(input).not.toHaveProperty('title');
  });
});

describe('applyPatch: operations that cannot be applied are 400s, never silent', () => {
  it.each<[string, PatchOperation[], ScimErrorType]>([
    ['an unknown attribute', [{ op: 'replace', path: 'bogus', value: 'x' }], 'invalidPath'],
    ['a malformed path', [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }], 'invalidPath'],
    ['an unknown sub-attribute after a filter', [{ op: 'replace', path: 'emails[type eq "work"].nope', value: 'x' }], 'invalidPath'],
    ['an unknown attribute inside a value filter', [{ op: 'replace', path: 'emails[nope eq "work"].value', value: 'x' }], 'invalidPath'],
    ['a value filter on a simple attribute', [{ op: 'replace', path: 'userName[value eq "x"]', value: 'x' }], 'invalidPath'],
    ['changing the readOnly id', [{ op: 'replace', path: 'id', value: 'other' }], 'mutability'],
    ['changing readOnly meta', [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }], 'mutability'],
    ['writing the readOnly groups', [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }], 'mutability'],
    ['a value of the wrong type', [{ op: 'replace', path: 'active', value: 'banana' }], 'invalidValue'],
    ['a scalar for a complex attribute', [{ op: 'replace', path: 'name', value: 'Barbara' }], 'invalidValue'],
    ['a scalar without a path', [{ op: 'replace', value: 'x' }], 'invalidValue'],
    ['removing the required userName', [{ op: 'remove', path: 'userName' }], 'invalidValue'],
    ['two new primary values in one op', [{ op: 'add', path: 'emails', value: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: 'True' }] }], 'invalidValue'],
  ])('%s', (_what, ops, scimType) => {
    expect(failure(() => applyPatch(user(), ops, { resourceType: 'User' }))).toEqual({ status: 400, scimType });
  });

  it('changing the immutable value of a member is a mutability error', () => {
    expect(failure(() => patchGroup({ op: 'replace', path: `members[value eq "${BABS}"].value`, value: 'someone-else' }))).toEqual({ status: 400, scimType: 'mutability' });
  });

  it.each([
    ['not an object', 'nope'],
    ['without Operations', { schemas: [PATCH_OP] }],
    ['with empty Operations', { schemas: [PATCH_OP], Operations: [] }],
    ['with another schema', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'add', value: {} }] }],
    ['with an unknown op', { schemas: [PATCH_OP], Operations: [{ op: 'merge', path: 'title', value: 'x' }] }],
  ])('a body %s is invalidSyntax', (_what, body) => {
    expect(failure(() => applyPatchRequest(user(), body, { resourceType: 'User' }))).toEqual({ status: 400, scimType: 'invalidSyntax' });
  });

  it('add without a value is invalidValue', () => {
    expect(failure(() => applyPatchRequest(user(), { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'title' }] }, { resourceType: 'User' }))).toEqual({
      status: 400,
      scimType: 'invalidValue',
    });
  });
});
