import { ContractViolationError } from './contract-violation.error';
import { validateEventData } from './event-validation';
import { EXAMPLES } from './examples';
import { groupStateFromResource, userStateFromResource } from './resource-state';

const userData = EXAMPLES.UserProvisioned.event.data as { resource: Record<string, unknown> };
const groupData = EXAMPLES.GroupCreated.event.data as { resource: Record<string, unknown> };

describe('userStateFromResource', () => {
  it('derives the UserProvisioned example from its resource', () => {
    expect(userStateFromResource(userData.resource)).toEqual(EXAMPLES.UserProvisioned.event.data);
  });

  it('takes the first email when none is primary, and null when there is none', () => {
    const base = { id: 'u', userName: 'b' };
    expect(userStateFromResource({ ...base, emails: [{ value: 'a@x' }, { value: 'b@x' }] }).primaryEmail).toBe('a@x');
    expect(userStateFromResource({ ...base, emails: [{ value: 'a@x' }, { value: 'b@x', primary: true }] }).primaryEmail).toBe('b@x');
    expect(userStateFromResource(base).primaryEmail).toBeNull();
  });

  it('leaves password and groups out of the resource, so the result passes the schema', () => {
    const state = userStateFromResource({ ...userData.resource, password: 'hunter2', groups: [{ value: 'g' }] });
    expect(state.resource).not.toHaveProperty('password');
    expect(state.resource).not.toHaveProperty('groups');
    expect(validateEventData('UserProvisioned', 1, state)).toEqual({ ok: true });
  });

  it('reads a user without active as active, and turns empty strings into null', () => {
    const state = userStateFromResource({ schemas: ['s'], id: 'u', userName: 'b', displayName: '', externalId: '' });
    expect(state).toMatchObject({ active: true, displayName: null, externalId: null, givenName: null });
    expect(userStateFromResource({ id: 'u', userName: 'b', active: false }).active).toBe(false);
  });

  it('refuses a resource without id or userName', () => {
    expect(() => userStateFromResource({ id: 'u' })).toThrow(ContractViolationError);
    expect(() => userStateFromResource({ userName: 'b' })).toThrow('a canonical SCIM User needs "id"');
  });
});

describe('groupStateFromResource', () => {
  it('derives the GroupCreated example and takes members out of the resource', () => {
    expect(groupStateFromResource(groupData.resource)).toEqual(EXAMPLES.GroupCreated.event.data);
    const state = groupStateFromResource({ ...groupData.resource, members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u1' }] });
    expect(state.memberIds).toEqual(['u1', 'u2']);
    expect(state.resource).not.toHaveProperty('members');
    expect(validateEventData('GroupCreated', 1, state)).toEqual({ ok: true });
  });
});
