import type { ContractEvent, EventType } from './event-catalog';
import type { BuildEnvelopeInput } from './event-envelope';
import type { EventMetadata } from './event-metadata';
import { streamIds } from './stream-ids';

/*
 * One realistic event of every type, in the order a directory's life produces them. The unit tests check
 * each against its schema and round-trips it through the envelope; docs/events.md is generated from
 * them, so the documentation shows exactly what the code produces.
 */

export interface EventExample {
  readonly id: string;
  readonly event: ContractEvent;
  readonly metadata: EventMetadata;
  readonly source: string;
  readonly streamId: string;
  readonly streamVersion: number;
}

export const EXAMPLE_IDS = {
  organizationId: '0b7c2f4e-5a61-4d0b-9a57-0f2b8f2f6a11',
  directoryId: '3f2a9c1e-7b4d-4e8a-9c6f-1d2e3f4a5b6c',
  userId: '6a1f3c2e-0d9b-4f7a-8e5c-2b3d4e5f6a7b',
  otherUserId: '9e8d7c6b-5a4f-4e3d-a2c1-b0a9f8e7d6c5',
  groupId: 'c4d5e6f7-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  tokenId: 'e2b1c0d9-8f7e-4d6c-b5a4-93827160fedc',
} as const;

const { organizationId, directoryId, userId, otherUserId, groupId, tokenId } = EXAMPLE_IDS;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const scimBase = `https://scim.example.com/directory/${directoryId}/scim/v2`;

const ingress = '/scimbridge/scim-ingress';
const roleAssignment = '/scimbridge/role-assignment';

const fromIdp = (occurredAt: string, correlationId: string): EventMetadata => ({
  directoryId,
  organizationId,
  occurredAt,
  correlationId,
  actor: { kind: 'idp', id: tokenId },
});
const fromManagementApi = (occurredAt: string): EventMetadata => ({
  directoryId,
  organizationId,
  occurredAt,
  actor: { kind: 'management-api' },
});
const fromSystem = (occurredAt: string, causationId: string): EventMetadata => ({
  directoryId,
  organizationId,
  occurredAt,
  causationId,
  actor: { kind: 'system' },
});

const userResource = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: userId,
  externalId: '00u1a2b3c4d5e6f7g8h9',
  userName: 'barbara.jensen@acme.example',
  name: { formatted: 'Barbara Jensen', givenName: 'Barbara', familyName: 'Jensen' },
  displayName: 'Barbara Jensen',
  title: 'Engineer',
  active: true,
  emails: [
    { value: 'barbara.jensen@acme.example', type: 'work', primary: true },
    { value: 'babs@home.example', type: 'home' },
  ],
  [ENTERPRISE]: { employeeNumber: '1042', department: 'Platform' },
  meta: {
    resourceType: 'User',
    created: '2026-03-02T09:15:04.118Z',
    lastModified: '2026-03-02T09:15:04.118Z',
    version: 'W/"1"',
    location: `${scimBase}/Users/${userId}`,
  },
};

const updatedUserResource = {
  ...userResource,
  title: 'Staff Engineer',
  [ENTERPRISE]: { employeeNumber: '1042', department: 'Infrastructure' },
  meta: { ...userResource.meta, lastModified: '2026-03-09T14:02:51.530Z', version: 'W/"2"' },
};

const userSummary = {
  userId,
  externalId: '00u1a2b3c4d5e6f7g8h9',
  userName: 'barbara.jensen@acme.example',
  active: true,
  displayName: 'Barbara Jensen',
  givenName: 'Barbara',
  familyName: 'Jensen',
  primaryEmail: 'barbara.jensen@acme.example',
  emails: [
    { value: 'barbara.jensen@acme.example', type: 'work', primary: true },
    { value: 'babs@home.example', type: 'home', primary: false },
  ],
};

const userReference = { userId, externalId: '00u1a2b3c4d5e6f7g8h9', userName: 'barbara.jensen@acme.example' };

const groupResource = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: groupId,
  externalId: '00g9z8y7x6w5v4u3t2s1',
  displayName: 'Engineering',
  meta: {
    resourceType: 'Group',
    created: '2026-03-02T09:15:06.402Z',
    lastModified: '2026-03-02T09:15:06.402Z',
    version: 'W/"1"',
    location: `${scimBase}/Groups/${groupId}`,
  },
};

const renamedGroupResource = {
  ...groupResource,
  displayName: 'Engineering (all)',
  meta: { ...groupResource.meta, lastModified: '2026-03-10T08:30:00.000Z', version: 'W/"3"' },
};

const user = streamIds.user(directoryId, userId);
const group = streamIds.group(directoryId, groupId);
const directory = streamIds.directory(directoryId);
const resyncId = '2d4f6a8c-0e1b-4c3d-9f5e-7a9b1c3d5e7f';
const resync = streamIds.resync(directoryId, resyncId);

export const EXAMPLES: Readonly<Record<EventType, EventExample>> = {
  DirectoryCreated: {
    id: 'f5cba4b9-166a-4980-b9f7-45b53fa20200',
    event: {
      type: 'DirectoryCreated',
      schemaVersion: 1,
      data: { directoryId, organizationId, provider: 'onelogin', name: 'Acme OneLogin' },
    },
    metadata: fromManagementApi('2026-03-02T09:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 1,
  },
  DirectoryTokenIssued: {
    id: 'e7ee4e44-eca6-486f-b32a-d55757245f5a',
    event: {
      type: 'DirectoryTokenIssued',
      schemaVersion: 1,
      data: { directoryId, tokenId, lastFour: 'x7Qa', createdAt: '2026-03-02T09:00:00.000Z', expiresAt: null },
    },
    metadata: fromManagementApi('2026-03-02T09:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 2,
  },
  UserProvisioned: {
    id: 'c4f4b672-ddb3-47c9-81e6-e69a1ef7a1f5',
    event: { type: 'UserProvisioned', schemaVersion: 1, data: { ...userSummary, resource: userResource } },
    metadata: fromIdp('2026-03-02T09:15:04.118Z', 'bdf10219-247c-443d-980a-d99c4fc105da'),
    source: ingress,
    streamId: user,
    streamVersion: 1,
  },
  GroupCreated: {
    id: 'e0ced14d-92ea-42ba-b705-7279f261b4f3',
    event: {
      type: 'GroupCreated',
      schemaVersion: 1,
      data: { groupId, externalId: '00g9z8y7x6w5v4u3t2s1', displayName: 'Engineering', memberIds: [], resource: groupResource },
    },
    metadata: fromIdp('2026-03-02T09:15:06.402Z', '88d272ec-e1bd-4440-9fb7-52530f9a6b91'),
    source: ingress,
    streamId: group,
    streamVersion: 1,
  },
  GroupMembershipChanged: {
    id: '53d190e3-ce88-4eaf-b6ef-747fdeba591b',
    event: { type: 'GroupMembershipChanged', schemaVersion: 1, data: { groupId, added: [userId, otherUserId], removed: [] } },
    metadata: fromIdp('2026-03-02T09:15:07.050Z', 'ccfa0990-81a6-43c5-ab51-1ea91467cccd'),
    source: ingress,
    streamId: group,
    streamVersion: 2,
  },
  RoleMappingsChanged: {
    id: '086d13d2-e9ca-4d6d-91be-f5691e6e1a7e',
    event: {
      type: 'RoleMappingsChanged',
      schemaVersion: 2,
      data: { directoryId, mappings: [{ groupId, roles: ['admin', 'editor'] }], defaultRole: { role: 'viewer', appliesTo: 'unassigned' } },
    },
    metadata: fromManagementApi('2026-03-02T10:00:00.000Z'),
    source: roleAssignment,
    streamId: streamIds.roleMapping(directoryId),
    streamVersion: 1,
  },
  RoleAssigned: {
    id: '9001fea5-c121-402a-9532-55c64b1b89fd',
    event: { type: 'RoleAssigned', schemaVersion: 1, data: { userId, role: 'admin', viaGroupIds: [groupId] } },
    metadata: fromSystem('2026-03-02T10:00:00.000Z', '086d13d2-e9ca-4d6d-91be-f5691e6e1a7e'),
    source: roleAssignment,
    streamId: streamIds.roleGrant(directoryId, userId),
    streamVersion: 1,
  },
  UserUpdated: {
    id: '02ef1125-6743-43d1-8a3c-fcf11b7403d0',
    event: {
      type: 'UserUpdated',
      schemaVersion: 1,
      data: { ...userSummary, changedAttributes: ['title', `${ENTERPRISE}:department`], resource: updatedUserResource },
    },
    metadata: fromIdp('2026-03-09T14:02:51.530Z', 'ff68002e-88dd-493a-814e-c8ada6a30d46'),
    source: ingress,
    streamId: user,
    streamVersion: 2,
  },
  GroupUpdated: {
    id: '7aeb4d87-f76b-4c3f-886d-e871c09fa239',
    event: {
      type: 'GroupUpdated',
      schemaVersion: 1,
      data: {
        groupId,
        externalId: '00g9z8y7x6w5v4u3t2s1',
        displayName: 'Engineering (all)',
        changedAttributes: ['displayName'],
        resource: renamedGroupResource,
      },
    },
    metadata: fromIdp('2026-03-10T08:30:00.000Z', 'ba5310ba-2f53-4c22-82e6-8ed4ada183a9'),
    source: ingress,
    streamId: group,
    streamVersion: 3,
  },
  UserDeactivated: {
    id: 'efbbb071-c611-41a6-a592-464e0b44fc6b',
    event: { type: 'UserDeactivated', schemaVersion: 1, data: userReference },
    metadata: fromIdp('2026-03-12T17:45:10.000Z', '07940bfc-2b44-492a-9c53-2465a36820b3'),
    source: ingress,
    streamId: user,
    streamVersion: 3,
  },
  UserReactivated: {
    id: '4248aaea-96d0-491c-a66d-de0ad91ab677',
    event: { type: 'UserReactivated', schemaVersion: 1, data: userReference },
    metadata: fromIdp('2026-03-16T08:05:00.000Z', 'e731c123-e087-4c32-b9ec-98507fcf272f'),
    source: ingress,
    streamId: user,
    streamVersion: 4,
  },
  UserDeprovisioned: {
    id: '3978f574-78f8-4539-b645-bdc8a54084d0',
    event: { type: 'UserDeprovisioned', schemaVersion: 1, data: userReference },
    metadata: fromIdp('2026-03-20T11:00:00.000Z', '23a649d0-a768-4dc5-b209-a9f6fb96ac56'),
    source: ingress,
    streamId: user,
    streamVersion: 5,
  },
  RoleRevoked: {
    id: '122f9602-8e59-4f74-a857-7036187e6d07',
    event: { type: 'RoleRevoked', schemaVersion: 1, data: { userId, role: 'admin', viaGroupIds: [] } },
    metadata: fromSystem('2026-03-20T11:00:00.000Z', '3978f574-78f8-4539-b645-bdc8a54084d0'),
    source: roleAssignment,
    streamId: streamIds.roleGrant(directoryId, userId),
    streamVersion: 2,
  },
  GroupDeleted: {
    id: 'a3c1e7d2-5b84-4f69-9e0a-7c2d4b6f8e13',
    event: { type: 'GroupDeleted', schemaVersion: 1, data: { groupId, externalId: '00g9z8y7x6w5v4u3t2s1', displayName: 'Engineering (all)' } },
    metadata: fromIdp('2026-03-21T09:00:00.000Z', 'b7e4f1a9-2c6d-4e83-8f05-1d9a3c7e5b24'),
    source: ingress,
    streamId: group,
    streamVersion: 4,
  },
  DirectoryTokenRevoked: {
    id: 'd8f2b6c4-1e3a-4957-a0b8-6c4e2f1d9a37',
    event: { type: 'DirectoryTokenRevoked', schemaVersion: 1, data: { directoryId, tokenId, lastFour: 'x7Qa' } },
    metadata: fromManagementApi('2026-03-25T12:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 3,
  },
  DirectoryDisabled: {
    id: '5e9a7c3b-8d1f-4a26-b4e0-2f6c8a1d3e59',
    event: { type: 'DirectoryDisabled', schemaVersion: 1, data: { directoryId } },
    metadata: fromManagementApi('2026-03-26T12:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 4,
  },
  DirectoryEnabled: {
    id: '71b3d5f9-4c2e-4a80-9d6b-3e8f0a2c4b16',
    event: { type: 'DirectoryEnabled', schemaVersion: 1, data: { directoryId } },
    metadata: fromManagementApi('2026-03-27T12:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 5,
  },
  DirectoryResyncStarted: {
    id: '8c1e3a5b-7d9f-4b2c-a4e6-0f2b4d6f8a1c',
    event: { type: 'DirectoryResyncStarted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 1, groupCount: 1 } },
    metadata: fromManagementApi('2026-03-12T07:00:00.000Z'),
    source: ingress,
    streamId: resync,
    streamVersion: 1,
  },
  UserResynced: {
    id: '4b6d8f0a-2c4e-4a7b-9d1f-3e5a7c9b1d2e',
    event: { type: 'UserResynced', schemaVersion: 1, data: { ...userSummary, resource: updatedUserResource, resyncId, userSequence: 2 } },
    metadata: fromManagementApi('2026-03-12T07:00:00.000Z'),
    source: ingress,
    streamId: resync,
    streamVersion: 2,
  },
  GroupResynced: {
    id: '6e8a0c2d-4f6b-4d9e-8b3a-5c7e9f1b3d4a',
    event: {
      type: 'GroupResynced',
      schemaVersion: 1,
      data: { groupId, externalId: '00g9z8y7x6w5v4u3t2s1', displayName: 'Engineering (all)', resource: renamedGroupResource, resyncId, memberIds: [userId], groupSequence: 3 },
    },
    metadata: fromManagementApi('2026-03-12T07:00:00.000Z'),
    source: ingress,
    streamId: resync,
    streamVersion: 3,
  },
  DirectoryResyncCompleted: {
    id: '0a2c4e6f-8b1d-4f3a-b5c7-9d1e3f5a7b9c',
    event: { type: 'DirectoryResyncCompleted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 1, groupCount: 1 } },
    metadata: fromManagementApi('2026-03-12T07:00:01.000Z'),
    source: ingress,
    streamId: resync,
    streamVersion: 4,
  },
  DirectoryDeleted: {
    id: '3c5e7a9b-1d3f-4b6a-8c0e-2f4a6c8e0b1d',
    event: { type: 'DirectoryDeleted', schemaVersion: 1, data: { directoryId, organizationId, deprovisionedUsers: 1, deletedGroups: 0 } },
    metadata: fromManagementApi('2026-04-01T12:00:00.000Z'),
    source: ingress,
    streamId: directory,
    streamVersion: 6,
  },
  UserRolesResynced: {
    id: '7f1b3d5e-9a2c-4e6f-8b0d-1c3e5a7f9b2d',
    event: { type: 'UserRolesResynced', schemaVersion: 1, data: { userId: otherUserId, resyncId, roles: [{ role: 'admin', viaGroupIds: [groupId] }, { role: 'viewer', viaGroupIds: [] }] } },
    metadata: fromSystem('2026-03-12T07:00:01.000Z', '0a2c4e6f-8b1d-4f3a-b5c7-9d1e3f5a7b9c'),
    source: roleAssignment,
    streamId: streamIds.roleGrant(directoryId, otherUserId),
    streamVersion: 1,
  },
};

/** The buildEnvelope input of an example. */
export function exampleInput(example: EventExample): BuildEnvelopeInput {
  return {
    id: example.id,
    type: example.event.type,
    schemaVersion: example.event.schemaVersion,
    data: example.event.data,
    metadata: example.metadata,
    source: example.source,
    streamId: example.streamId,
    streamVersion: example.streamVersion,
  };
}
