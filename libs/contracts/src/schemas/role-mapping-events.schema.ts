import { eventDataSchema, idList, nonEmptyString } from './schema-fragments';

export const ROLE_MAPPINGS_CHANGED_V1_SCHEMA = eventDataSchema({
  type: 'RoleMappingsChanged',
  version: 1,
  description:
    'The directory’s group-to-role mappings were replaced (management API `PUT /api/v1/directories/{id}/role-mappings`). Carries the complete new set; the RoleAssigned/RoleRevoked it leads to follow on `scim.role.events`.',
  properties: {
    directoryId: nonEmptyString('The directory whose mappings these are.'),
    mappings: {
      type: 'array',
      description: 'One entry per group (each `groupId` at most once).',
      items: {
        type: 'object',
        required: ['groupId', 'roles'],
        properties: {
          groupId: nonEmptyString('A group of the directory (our SCIM id).'),
          roles: idList('Role names granted to the group’s members; empty grants nothing.'),
        },
        additionalProperties: false,
      },
    },
    defaultRole: nonEmptyString('Granted to every user of the directory whatever their groups; absent when there is none.'),
  },
  required: ['directoryId', 'mappings'],
});
