import { validateResource } from './resource.validator';
import { uniquenessKeys } from './uniqueness';
import { scimTypeOf } from '../../test-support/scim-type-of';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('validateResource', () => {
  it('returns canonical names, schema order and the schemas actually used', () => {
    const { resource } = validateResource(
      { SCHEMAS: [USER, ENTERPRISE], USERNAME: 'bjensen', Name: { GIVENNAME: 'Barbara' }, [ENTERPRISE]: { Department: 'Tours' } },
      { resourceType: 'User' },
    );
    expect(resource).toEqual({ schemas: [USER, ENTERPRISE], userName: 'bjensen', name: { givenName: 'Barbara' }, [ENTERPRISE]: { department: 'Tours' } });
    expect(Object.keys(resource)).toEqual(['schemas', 'userName', 'name', ENTERPRISE]);
  });

  it('is a fixpoint: validating its own output in stored mode changes nothing', () => {
    const first = validateResource({ userName: 'a', emails: { value: 'a@x', primary: 'true' }, active: 'False', meta: { created: '2011-05-13T06:42:34+02:00' } }, { resourceType: 'User', mode: 'stored' }).resource;
    expect(validateResource(first, { resourceType: 'User', mode: 'stored' }).resource).toEqual(first);
    expect(first['meta']).toEqual({ created: '2011-05-13T04:42:34.000Z' });
  });

  it('accepts a single object for a multi-valued attribute, string booleans and "" as unset (OneLogin)', () => {
    const { resource } = validateResource({ userName: 'a', emails: { value: 'a@x.com', type: 'work' }, active: 'true', title: '', nickName: null }, { resourceType: 'User' });
    expect(resource).toEqual({ schemas: [USER], userName: 'a', active: true, emails: [{ value: 'a@x.com', type: 'work' }] });
  });

  it('ignores readOnly input and drops the password, listing both (Okta create)', () => {
    const result = validateResource({ id: 'client-id', userName: 'a', password: '1mz050nq', groups: [{ value: 'g' }], meta: { resourceType: 'User' } }, { resourceType: 'User' });
    expect(result.resource).toEqual({ schemas: [USER], userName: 'a' });
    expect(result.ignoredAttributes).toEqual(['password', 'groups']);
  });

  it('does not mention an empty groups list as ignored (Okta sends groups: [])', () => {
    expect(validateResource({ userName: 'a', groups: [] }, { resourceType: 'User' }).ignoredAttributes).toEqual([]);
  });

  it('reports attributes no schema declares, and rejects them when asked', () => {
    const result = validateResource({ userName: 'a', favouriteColour: 'blue', emails: [{ value: 'a@x', label: 'x' }], [ENTERPRISE]: { shoeSize: 9 } }, { resourceType: 'User' });
    expect(result.unknownAttributes).toEqual(['favouriteColour', 'emails.label', `${ENTERPRISE}:shoeSize`]);
    expect(result.resource).not.toHaveProperty('favouriteColour');
    expect(scimTypeOf(() => validateResource({ userName: 'a', favouriteColour: 'blue' }, { resourceType: 'User', unknownAttributes: 'reject' }))).toBe('invalidSyntax');
  });

  it('drops unknown schema URIs and reports them (Entra ID ADSCIM group URI)', () => {
    const adscim = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
    const result = validateResource({ schemas: [GROUP, adscim], displayName: 'g', externalId: 'e', meta: { resourceType: 'Group' } }, { resourceType: 'Group' });
    expect(result.resource).toEqual({ schemas: [GROUP], externalId: 'e', displayName: 'g' });
    expect(result.unknownSchemas).toEqual([adscim]);
  });

  it('refuses the core schema of another resource type', () => {
    expect(scimTypeOf(() => validateResource({ schemas: [GROUP], userName: 'a' }, { resourceType: 'User' }))).toBe('invalidSyntax');
  });

  it('accepts enterprise attributes given short or fully qualified at the top level', () => {
    const { resource } = validateResource({ userName: 'a', department: 'Tours', [`${ENTERPRISE}:employeeNumber`]: 7 }, { resourceType: 'User' });
    expect(resource[ENTERPRISE]).toEqual({ employeeNumber: '7', department: 'Tours' });
  });

  it.each([
    ['a missing userName', { name: { givenName: 'x' } }, 'invalidValue'],
    ['a non-boolean active', { userName: 'a', active: 'yes' }, 'invalidValue'],
    ['an array for a single-valued attribute', { userName: ['a', 'b'] }, 'invalidValue'],
    ['an object for a string', { userName: { value: 'a' } }, 'invalidValue'],
    ['two primary emails', { userName: 'a', emails: [{ value: 'a', primary: true }, { value: 'b', primary: 'True' }] }, 'invalidValue'],
    ['a non-object body', 'nope', 'invalidSyntax'],
  ])('rejects %s', (_what, body, scimType) => {
    expect(scimTypeOf(() => validateResource(body, { resourceType: 'User' }))).toBe(scimType);
  });

  it('rejects a malformed dateTime in stored mode, where meta is read rather than ignored', () => {
    expect(scimTypeOf(() => validateResource({ userName: 'a', meta: { created: 'yesterday' } }, { resourceType: 'User', mode: 'stored' }))).toBe('invalidValue');
  });

  it('requires displayName on a group', () => {
    expect(scimTypeOf(() => validateResource({ members: [] }, { resourceType: 'Group' }))).toBe('invalidValue');
  });

  it('on PUT keeps id, meta and groups from the stored resource whatever the body says', () => {
    const existing = validateResource(
      { id: 'u1', userName: 'a', groups: [{ value: 'g1', display: 'G' }], meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z' } },
      { resourceType: 'User', mode: 'stored' },
    ).resource;
    const { resource } = validateResource({ id: 'other', userName: 'b', groups: [], meta: { created: '1999-01-01T00:00:00Z' } }, { resourceType: 'User', existing });
    expect(resource).toEqual({ schemas: [USER], id: 'u1', userName: 'b', groups: [{ value: 'g1', display: 'G' }], meta: existing['meta'] });
  });
});

describe('uniquenessKeys', () => {
  it('gives userName case-folded and externalId left out (uniqueness none)', () => {
    expect(uniquenessKeys({ userName: 'BJensen', externalId: 'X' }, { resourceType: 'User' })).toEqual({ userName: 'bjensen' });
    expect(uniquenessKeys({ displayName: 'Admins' }, { resourceType: 'Group' })).toEqual({ displayName: 'admins' });
  });
});
