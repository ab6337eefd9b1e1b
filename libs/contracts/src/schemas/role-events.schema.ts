import { eventDataSchema, idList, nonEmptyString } from './schema-fragments';

const userId = nonEmptyString('The user (our SCIM id, as in the directory events).');
const role = nonEmptyString('The role name, as defined for the organization.');

export const ROLE_ASSIGNED_V1_SCHEMA = eventDataSchema({
  type: 'RoleAssigned',
  version: 1,
  description:
    'A user gained a role they did not have: they joined a mapped group, a mapping or the default role changed, or they were provisioned. Not emitted again when a second group grants a role the user already has.',
  properties: {
    userId,
    role,
    viaGroupIds: idList('The groups whose mapping grants the role; [] when only the directory’s default role grants it.'),
  },
});

export const ROLE_REVOKED_V1_SCHEMA = eventDataSchema({
  type: 'RoleRevoked',
  version: 1,
  description:
    'A user lost a role: nothing grants it any more (they left the group, the group was deleted, a mapping or the default role changed, or the user was deprovisioned).',
  properties: {
    userId,
    role,
    viaGroupIds: idList(
      'The groups whose mapping no longer grants the role; [] when the default role stopped granting it or the user was deprovisioned.',
    ),
  },
});

export const USER_ROLES_RESYNCED_V1_SCHEMA = eventDataSchema({
  type: 'UserRolesResynced',
  version: 1,
  description:
    'Every role a user holds, re-sent by a full-state resync (`POST /api/v1/directories/{id}/resync`) once the directory’s users and groups are re-sent: replace the roles you keep for the user with `roles` (possibly empty). It is on the user’s role stream, in order with their RoleAssigned/RoleRevoked, so per-subject dedupe applies as usual.',
  properties: {
    userId,
    resyncId: nonEmptyString('The resync this belongs to (see DirectoryResyncStarted).'),
    roles: {
      type: 'array',
      description: 'The user’s whole role set, by role name.',
      items: {
        type: 'object',
        required: ['role', 'viaGroupIds'],
        properties: { role, viaGroupIds: idList('The groups whose mapping grants the role; [] when only the directory’s default role grants it.') },
        additionalProperties: false,
      },
    },
  },
});
