import { EVENT_CATALOG, EVENT_TYPES, eventTypesOn, isEventType, latestVersionOf, schemaFor, topicFor, type EventType } from './event-catalog';
import { schemaIdFor } from './schemas/json-schema';
import { Topics } from './topics';
import { upcasters } from './upcasters';

// Written out by hand on purpose: this is the table docs/events.md promises downstream apps.
const DOCUMENTED_TOPICS: Record<EventType, string> = {
  UserProvisioned: 'scim.directory.events',
  UserUpdated: 'scim.directory.events',
  UserDeactivated: 'scim.directory.events',
  UserReactivated: 'scim.directory.events',
  UserDeprovisioned: 'scim.directory.events',
  GroupCreated: 'scim.directory.events',
  GroupUpdated: 'scim.directory.events',
  GroupDeleted: 'scim.directory.events',
  GroupMembershipChanged: 'scim.directory.events',
  DirectoryCreated: 'scim.directory.events',
  DirectoryTokenIssued: 'scim.directory.events',
  DirectoryTokenRevoked: 'scim.directory.events',
  DirectoryEnabled: 'scim.directory.events',
  DirectoryDisabled: 'scim.directory.events',
  DirectoryDeleted: 'scim.directory.events',
  DirectoryResyncStarted: 'scim.directory.events',
  UserResynced: 'scim.directory.events',
  GroupResynced: 'scim.directory.events',
  DirectoryResyncCompleted: 'scim.directory.events',
  RoleMappingsChanged: 'scim.role-mapping.events',
  RoleAssigned: 'scim.role.events',
  RoleRevoked: 'scim.role.events',
  UserRolesResynced: 'scim.role.events',
};

describe('event catalog', () => {
  it.each(Object.entries(DOCUMENTED_TOPICS))('topicFor(%s) is %s', (type, topic) => {
    expect(isEventType(type)).toBe(true);
    expect(topicFor(type as EventType)).toBe(topic);
  });

  it('holds exactly the documented event types', () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(DOCUMENTED_TOPICS).sort());
  });

  it('lists the event types of each topic', () => {
    expect(eventTypesOn(Topics.roleEvents)).toEqual(['RoleAssigned', 'RoleRevoked', 'UserRolesResynced']);
    expect(eventTypesOn(Topics.roleMappingEvents)).toEqual(['RoleMappingsChanged']);
    expect(eventTypesOn(Topics.directoryEvents)).toHaveLength(19);
  });

  it('does not take prototype keys or other names for event types', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'userProvisioned', 'UserCreated', '']) {
      expect(isEventType(name)).toBe(false);
    }
  });

  it.each(EVENT_TYPES)('%s has a schema for every version from 1 to the latest, each with its own id', (type) => {
    const latest = latestVersionOf(type);
    expect(latest).toBeGreaterThanOrEqual(1);
    expect(Object.keys(EVENT_CATALOG[type].schemas).map(Number).sort()).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    for (let v = 1; v <= latest; v++) {
      expect(schemaFor(type, v)?.['$id']).toBe(schemaIdFor(type, v));
      expect(schemaFor(type, v)?.['additionalProperties']).toBe(false);
    }
  });

  it.each(EVENT_TYPES)('%s has an upcaster for every version below the latest', (type) => {
    for (let v = 1; v < latestVersionOf(type); v++) expect(upcasters.has(type, v)).toBe(true);
    expect(() => upcasters.upcast(type, latestVersionOf(type), {})).not.toThrow();
  });

  it('knows no schema for unknown types or versions', () => {
    expect(schemaFor('UserProvisioned', 0)).toBeUndefined();
    expect(schemaFor('UserProvisioned', 2)).toBeUndefined();
    expect(schemaFor('Nope', 1)).toBeUndefined();
  });
});
