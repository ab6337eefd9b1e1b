import type { JsonSchema } from './json-schema';
import { eventDataSchema, idList, nonEmptyString } from './schema-fragments';

const mappings = (description: string): JsonSchema => ({
  type: 'array',
  description,
  items: {
    type: 'object',
    required: ['groupId', 'roles'],
    properties: {
      groupId: nonEmptyString('A group of the directory (our SCIM id).'),
      roles: idList('Role names granted to the group’s members; empty grants nothing.'),
    },
    additionalProperties: false,
  },
});

export const ROLE_MAPPINGS_CHANGED_V1_SCHEMA = eventDataSchema({
  type: 'RoleMappingsChanged',
  version: 1,
  description:
    'The directory’s group-to-role mappings were replaced (management API `PUT /api/v1/directories/{id}/role-mappings`). Carries the complete new set; the RoleAssigned/RoleRevoked it leads to follow on `scim.role.events`.',
  properties: {
    directoryId: nonEmptyString('The directory whose mappings these are.'),
    mappings: mappings('One entry per group (each `groupId` at most once).'),
    defaultRole: nonEmptyString('Granted to every user of the directory whatever their groups; absent when there is none.'),
  },
  required: ['directoryId', 'mappings'],
});

export const ROLE_MAPPINGS_CHANGED_V2_SCHEMA = eventDataSchema({
  type: 'RoleMappingsChanged',
  version: 2,
  description:
    'The directory’s group-to-role mappings or its default role were replaced (management API `PUT /api/v1/directories/{id}/role-mappings`). Carries the complete new set; the RoleAssigned/RoleRevoked it leads to follow on `scim.role.events`. v2: `defaultRole` says whom it is for (v1 events are read as `appliesTo: "everyone"`, which is what v1 meant).',
  properties: {
    directoryId: nonEmptyString('The directory whose mappings these are.'),
    mappings: mappings('One entry per group that grants at least one role (each `groupId` at most once).'),
    defaultRole: {
      type: ['object', 'null'],
      description: 'The directory’s default role, or null when it has none.',
      required: ['role', 'appliesTo'],
      properties: {
        role: nonEmptyString('A role of the organization’s catalog.'),
        appliesTo: {
          enum: ['unassigned', 'everyone'],
          description: '`unassigned`: active users none of whose groups grants a role; `everyone`: every active user.',
        },
      },
      additionalProperties: false,
    },
  },
});
