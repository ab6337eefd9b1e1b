import { applyPatchRequest } from '../patch/patch.engine';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { normalisePatch, normaliseResource, providerNormaliser } from './provider.registry';
import { PROVIDERS, type ProviderId } from './provider.types';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** What the ingress does with a POST/PUT body: normalise for the provider, then validate. */
const create = (provider: ProviderId, resourceType: 'User' | 'Group', body: unknown): ScimResource =>
  validateResource(normaliseResource(provider, resourceType, body), { resourceType }).resource;

const patch = (provider: ProviderId, resourceType: 'User' | 'Group', resource: ScimResource, body: unknown): ScimResource =>
  applyPatchRequest(resource, normalisePatch(provider, resourceType, body), { resourceType }).resource;

const storedUser = (): ScimResource => validateResource({ id: 'u1', userName: 'bjensen', [ENTERPRISE]: { department: 'Tours' } }, { resourceType: 'User', mode: 'stored' }).resource;
const storedGroup = (): ScimResource =>
  validateResource({ id: 'g1', displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] }, { resourceType: 'Group', mode: 'stored' }).resource;

describe('onelogin normaliser', () => {
  it('quirk manager-id-object: {managerId, displayName} becomes {value}', () => {
    const user = create('onelogin', 'User', { schemas: [USER, ENTERPRISE], userName: 'a', [ENTERPRISE]: { manager: { managerId: 'm-1', displayName: 'Boss' } } });
    expect(user[ENTERPRISE]).toEqual({ manager: { value: 'm-1' } });
  });

  it('template habits pass validation: emails as one object, "true" strings, "" for unset', () => {
    const user = create('onelogin', 'User', { userName: 'a', emails: { value: 'a@x.com', type: 'work', primary: 'true' }, active: 'true', title: '' });
    expect(user).toEqual({ schemas: [USER], userName: 'a', active: true, emails: [{ value: 'a@x.com', type: 'work', primary: true }] });
  });

  it('quirk scim11-member-operations: a SCIM 1.1 PATCH removes members marked delete and adds the rest', () => {
    const result = patch('onelogin', 'Group', storedGroup(), { schemas: [GROUP], members: [{ value: 'u2', operation: 'delete' }, { value: 'u9' }] });
    expect(result['members']).toEqual([{ value: 'u1' }, { value: 'u3' }, { value: 'u9' }]);
  });

  it('quirk scim11-member-operations: meta.attributes clears attributes, other keys are set', () => {
    const result = patch('onelogin', 'Group', storedGroup(), { displayName: 'Renamed', meta: { attributes: ['members'] } });
    expect(result).toEqual({ schemas: [GROUP], id: 'g1', displayName: 'Renamed' });
  });

  it('quirk scim11-member-operations: in a PUT body, members marked delete are not members', () => {
    const group = create('onelogin', 'Group', { displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2', operation: 'delete' }] });
    expect(group['members']).toEqual([{ value: 'u1' }]);
  });

  it('leaves a SCIM 2.0 PatchOp alone', () => {
    const body = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[value eq "u1"]' }] };
    expect(normalisePatch('onelogin', 'Group', body)).toBe(body);
  });
});

describe('entra-id normaliser', () => {
  it('quirk manager-bare-id: a bare id for the qualified manager path becomes {value}', () => {
    const result = patch('entra-id', 'User', storedUser(), { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'm-1' }] });
    expect(result[ENTERPRISE]).toEqual({ department: 'Tours', manager: { value: 'm-1' } });
  });

  it('quirk manager-bare-id: the one-element array of Microsoft\'s example becomes {value, $ref}', () => {
    const result = patch('entra-id', 'User', storedUser(), {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Add', path: 'manager', value: [{ $ref: 'https://x/Users/m-2', value: 'm-2' }] }],
    });
    expect(result[ENTERPRISE]).toEqual({ department: 'Tours', manager: { value: 'm-2', $ref: 'https://x/Users/m-2' } });
  });

  it('quirk manager-bare-id: also in path-less values and in a created user', () => {
    const patched = patch('entra-id', 'User', storedUser(), { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { [`${ENTERPRISE}:manager`]: 'm-3' } }] });
    expect(patched[ENTERPRISE]).toEqual({ department: 'Tours', manager: { value: 'm-3' } });
    const created = create('entra-id', 'User', { userName: 'a', [ENTERPRISE]: { manager: 'm-4' } });
    expect(created[ENTERPRISE]).toEqual({ manager: { value: 'm-4' } });
  });

  it('the same bare id is a 400 for a provider without the quirk, not a silent drop', () => {
    expect(() => patch('generic', 'User', storedUser(), { schemas: [PATCH_OP], Operations: [{ op: 'add', path: `${ENTERPRISE}:manager`, value: 'm-1' }] })).toThrow(
      expect.objectContaining({ scimType: 'invalidValue' }),
    );
  });

  it('does not modify the body it is given', () => {
    const body = { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'manager', value: 'm-1' }] };
    const copy = JSON.parse(JSON.stringify(body)) as unknown;
    normalisePatch('entra-id', 'User', body);
    expect(body).toEqual(copy);
  });
});

describe('okta, jumpcloud, pingidentity, google, generic normalisers', () => {
  it.each(['okta', 'jumpcloud', 'pingidentity', 'google', 'generic'] as const)('%s passes standard bodies through unchanged', (provider) => {
    const body = { schemas: [USER], userName: 'a', [ENTERPRISE]: { manager: { value: 'm' } } };
    expect(normaliseResource(provider, 'User', body)).toBe(body);
    expect(providerNormaliser(provider).quirks).toEqual([]);
  });

  it('okta: password on create is dropped and never returned; groups: [] is ignored', () => {
    const result = validateResource(normaliseResource('okta', 'User', { userName: 'a', password: '1mz050nq', groups: [] }), { resourceType: 'User' });
    expect(result.resource).toEqual({ schemas: [USER], userName: 'a' });
    expect(result.ignoredAttributes).toEqual(['password']);
  });

  it('jumpcloud: minimal {value} members, repeated adds and Azure-style removal', () => {
    const added = patch('jumpcloud', 'Group', storedGroup(), { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u4' }] }] });
    expect(added['members']).toEqual([{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }, { value: 'u4' }]);
    const removed = patch('jumpcloud', 'Group', added, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: 'u4' }] }] });
    expect(removed).toEqual(storedGroup());
  });

  it('every provider of the management API has a normaliser', () => {
    expect(PROVIDERS.map((p) => providerNormaliser(p).provider)).toEqual([...PROVIDERS]);
  });
});
