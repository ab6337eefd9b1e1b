import { EVENT_TYPES, type EventType } from './event-catalog';
import { validateEventData, validateEventMetadata } from './event-validation';
import { EXAMPLES, EXAMPLE_IDS } from './examples';

type Data = Record<string, unknown>;
const dataOf = (type: EventType): Data => ({ ...(EXAMPLES[type].event.data as unknown as Data) });
const resourceOf = (type: EventType): Data => ({ ...(dataOf(type)['resource'] as Data) });

/** One way to break each event type, so every schema is shown to refuse something. */
const INVALID: Record<EventType, { what: string; data: Data; error: RegExp }> = {
  UserProvisioned: { what: 'userName missing', data: (({ userName: _, ...d }) => d)(dataOf('UserProvisioned')), error: /required property 'userName'/ },
  UserUpdated: { what: 'no changed attributes', data: { ...dataOf('UserUpdated'), changedAttributes: [] }, error: /\/changedAttributes must NOT have fewer than 1 items/ },
  UserDeactivated: { what: 'userId empty', data: { ...dataOf('UserDeactivated'), userId: '' }, error: /\/userId must NOT have fewer than 1 characters/ },
  UserReactivated: { what: 'externalId a number', data: { ...dataOf('UserReactivated'), externalId: 42 }, error: /\/externalId must be string,null/ },
  UserDeprovisioned: { what: 'an unknown field', data: { ...dataOf('UserDeprovisioned'), reason: 'left' }, error: /must not have property "reason"/ },
  GroupCreated: { what: 'duplicate member ids', data: { ...dataOf('GroupCreated'), memberIds: ['u', 'u'] }, error: /\/memberIds must NOT have duplicate items/ },
  GroupUpdated: { what: 'members in changedAttributes', data: { ...dataOf('GroupUpdated'), changedAttributes: ['members'] }, error: /\/changedAttributes\/0 must not be one of "members"/ },
  GroupDeleted: { what: 'displayName null', data: { ...dataOf('GroupDeleted'), displayName: null }, error: /\/displayName must be string/ },
  GroupMembershipChanged: { what: 'nothing added or removed', data: { groupId: EXAMPLE_IDS.groupId, added: [], removed: [] }, error: /must match a schema in anyOf/ },
  DirectoryCreated: { what: 'provider in capitals', data: { ...dataOf('DirectoryCreated'), provider: 'OneLogin' }, error: /\/provider must match pattern/ },
  DirectoryTokenIssued: { what: 'createdAt not a date-time', data: { ...dataOf('DirectoryTokenIssued'), createdAt: 'yesterday' }, error: /\/createdAt must match format "date-time"/ },
  DirectoryTokenRevoked: { what: 'lastFour too long', data: { ...dataOf('DirectoryTokenRevoked'), lastFour: 'abcde' }, error: /\/lastFour must NOT have more than 4 characters/ },
  DirectoryEnabled: { what: 'directoryId missing', data: {}, error: /required property 'directoryId'/ },
  DirectoryDisabled: { what: 'not an object', data: [] as unknown as Data, error: /\(root\) must be object/ },
  DirectoryDeleted: { what: 'a negative count', data: { ...dataOf('DirectoryDeleted'), deprovisionedUsers: -1 }, error: /\/deprovisionedUsers must be >= 0/ },
  DirectoryResyncStarted: { what: 'resyncId missing', data: (({ resyncId: _, ...d }) => d)(dataOf('DirectoryResyncStarted')), error: /required property 'resyncId'/ },
  UserResynced: { what: 'userSequence 0', data: { ...dataOf('UserResynced'), userSequence: 0 }, error: /\/userSequence must be >= 1/ },
  GroupResynced: { what: 'memberIds missing', data: (({ memberIds: _, ...d }) => d)(dataOf('GroupResynced')), error: /required property 'memberIds'/ },
  DirectoryResyncCompleted: { what: 'a fractional count', data: { ...dataOf('DirectoryResyncCompleted'), groupCount: 1.5 }, error: /\/groupCount must be integer/ },
  RoleMappingsChanged: { what: 'a mapping without roles', data: { ...dataOf('RoleMappingsChanged'), mappings: [{ groupId: 'g' }] }, error: /\/mappings\/0 must have required property 'roles'/ },
  RoleAssigned: { what: 'viaGroupIds missing', data: (({ viaGroupIds: _, ...d }) => d)(dataOf('RoleAssigned')), error: /required property 'viaGroupIds'/ },
  RoleRevoked: { what: 'role empty', data: { ...dataOf('RoleRevoked'), role: '' }, error: /\/role must NOT have fewer than 1 characters/ },
  UserRolesResynced: { what: 'a role without its groups', data: { ...dataOf('UserRolesResynced'), roles: [{ role: 'admin' }] }, error: /\/roles\/0 must have required property 'viaGroupIds'/ },
};

describe('validateEventData', () => {
  it.each(EVENT_TYPES)('given the %s example, it passes its schema', (type) => {
    const { event } = EXAMPLES[type];
    expect(validateEventData(event.type, event.schemaVersion, event.data)).toEqual({ ok: true });
  });

  it.each(EVENT_TYPES)('given a broken %s, it is refused with the reason', (type) => {
    const { data, error } = INVALID[type];
    const result = validateEventData(type, 1, data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(error);
  });

  it.each(['DirectoryTokenIssued', 'DirectoryTokenRevoked'] as const)('refuses any secret material in %s', (type) => {
    for (const field of ['token', 'secret', 'hash', 'tokenHash', 'bearerToken']) {
      const result = validateEventData(type, 1, { ...dataOf(type), [field]: 'scb_live_s3cr3tx7Qa' });
      expect(result).toEqual({ ok: false, errors: [`(root) must not have property "${field}"`] });
    }
  });

  it('refuses a password or groups inside a user resource, but keeps any other attribute the IdP sent', () => {
    for (const field of ['password', 'groups']) {
      const result = validateEventData('UserProvisioned', 1, { ...dataOf('UserProvisioned'), resource: { ...resourceOf('UserProvisioned'), [field]: 'x' } });
      expect(result).toEqual({ ok: false, errors: [`/resource/${field} must not be present`] });
    }
    const custom = { ...resourceOf('UserProvisioned'), 'urn:acme:custom:1.0:User': { costCenter: '42' }, nickName: 'Babs' };
    expect(validateEventData('UserProvisioned', 1, { ...dataOf('UserProvisioned'), resource: custom })).toEqual({ ok: true });
  });

  it('refuses members inside a group resource', () => {
    const resource = { ...resourceOf('GroupCreated'), members: [{ value: EXAMPLE_IDS.userId }] };
    expect(validateEventData('GroupCreated', 1, { ...dataOf('GroupCreated'), resource })).toEqual({
      ok: false,
      errors: ['/resource/members must not be present'],
    });
  });

  it('refuses active in a UserUpdated: that change has its own events', () => {
    const result = validateEventData('UserUpdated', 1, { ...dataOf('UserUpdated'), changedAttributes: ['title', 'active'] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContain('/changedAttributes/1 must not be one of "active", "password", "groups", "id", "meta", "schemas"');
  });

  it('lists every problem at once', () => {
    const result = validateEventData('RoleAssigned', 1, { userId: '', role: 7, viaGroupIds: 'g' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toHaveLength(3);
  });

  it('accepts RoleMappingsChanged without a default role, and a membership change that only removes', () => {
    const { defaultRole: _, ...noDefault } = dataOf('RoleMappingsChanged');
    expect(validateEventData('RoleMappingsChanged', 1, noDefault)).toEqual({ ok: true });
    expect(validateEventData('GroupMembershipChanged', 1, { groupId: 'g', added: [], removed: ['u'] })).toEqual({ ok: true });
  });

  it('refuses unknown types and versions with a clear message', () => {
    expect(validateEventData('UserCreated', 1, {})).toEqual({ ok: false, errors: ['unknown event type "UserCreated"'] });
    expect(validateEventData('UserProvisioned', 2, dataOf('UserProvisioned'))).toEqual({
      ok: false,
      errors: ['unknown schema version 2 of UserProvisioned (known: 1)'],
    });
  });
});

describe('validateEventMetadata', () => {
  it('accepts the examples’ metadata and refuses a metadata without a proper occurredAt', () => {
    expect(validateEventMetadata(EXAMPLES.UserProvisioned.metadata)).toEqual({ ok: true });
    expect(validateEventMetadata({ directoryId: 'd', organizationId: 'o', occurredAt: '2026-03-02 09:00' })).toEqual({
      ok: false,
      errors: ['/occurredAt must match format "date-time"'],
    });
  });
});
