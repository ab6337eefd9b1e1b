import type { JsonSchema } from './json-schema';
import {
  changedAttributes,
  dateTime,
  eventDataSchema,
  idList,
  nonEmptyString,
  nullableDateTime,
  nullableString,
  scimResource,
} from './schema-fragments';

const userId = nonEmptyString('Our SCIM resource id of the user (`id` in SCIM); stable for the user’s lifetime in the directory.');
const groupId = nonEmptyString('Our SCIM resource id of the group (`id` in SCIM).');
const directoryId = nonEmptyString('The directory’s id (also the envelope’s `directoryid`).');
const userExternalId = nullableString('The IdP’s own id for the user (`externalId`), null if it sent none.');
const groupExternalId = nullableString('The IdP’s own id for the group (`externalId`), null if it sent none.');
const userName = nonEmptyString('`userName`: the unique login name, usually an email address.');
const groupDisplayName = nonEmptyString('The group’s `displayName`.');

const userState: Readonly<Record<string, JsonSchema>> = {
  userId,
  externalId: userExternalId,
  userName,
  active: { type: 'boolean', description: 'Whether the user is active, once the request behind this event is applied.' },
  displayName: nullableString('`displayName`.'),
  givenName: nullableString('`name.givenName`.'),
  familyName: nullableString('`name.familyName`.'),
  primaryEmail: nullableString('The email marked `primary`, else the first email, else null.'),
  emails: {
    type: 'array',
    description: 'Every email of the user, in the IdP’s order; other sub-attributes stay in `resource`.',
    items: {
      type: 'object',
      required: ['value', 'type', 'primary'],
      properties: {
        value: nonEmptyString('The address.'),
        type: nullableString('`work`, `home`, `other`, … as the IdP sent it; null if none.'),
        primary: { type: 'boolean', description: 'True for the primary email (at most one).' },
      },
      additionalProperties: false,
    },
  },
  resource: scimResource(
    'The full canonical SCIM User as `GET /Users/{id}` returns it: core and extension attributes, `schemas`, `id`, `meta`. Never `password`, never `groups`.',
    ['password', 'groups'],
  ),
};

const userReference: Readonly<Record<string, JsonSchema>> = { userId, externalId: userExternalId, userName };

const groupState: Readonly<Record<string, JsonSchema>> = {
  groupId,
  externalId: groupExternalId,
  displayName: groupDisplayName,
  resource: scimResource(
    'The canonical SCIM Group as `GET /Groups/{id}` returns it, without `members`: membership is only in `memberIds` and GroupMembershipChanged.',
    ['members'],
  ),
};

export const USER_PROVISIONED_V1_SCHEMA = eventDataSchema({
  type: 'UserProvisioned',
  version: 1,
  description: 'A user was created in the directory (SCIM `POST /Users`). Carries the whole user.',
  properties: userState,
});

export const USER_UPDATED_V1_SCHEMA = eventDataSchema({
  type: 'UserUpdated',
  version: 1,
  description:
    'Attributes of a user other than `active` changed (SCIM `PUT` or `PATCH /Users/{id}`). Carries the whole user after the change and the names of what changed. A request that changes nothing emits nothing; a change of `active` is UserDeactivated/UserReactivated, emitted right after this event when one request does both.',
  properties: {
    ...userState,
    changedAttributes: changedAttributes(
      'Top-level attribute names whose value changed (`name`, not `name.givenName`); extension attributes as `<extension URN>:<attribute>`. Never `active`, `password`, `groups`, `id`, `meta` or `schemas`.',
      ['active', 'password', 'groups', 'id', 'meta', 'schemas'],
    ),
  },
});

export const USER_DEACTIVATED_V1_SCHEMA = eventDataSchema({
  type: 'UserDeactivated',
  version: 1,
  description: 'A user’s `active` went from true to false (IdP suspension, unassignment in Okta, …). The user still exists.',
  properties: userReference,
});

export const USER_REACTIVATED_V1_SCHEMA = eventDataSchema({
  type: 'UserReactivated',
  version: 1,
  description: 'A user’s `active` went from false to true.',
  properties: userReference,
});

export const USER_DEPROVISIONED_V1_SCHEMA = eventDataSchema({
  type: 'UserDeprovisioned',
  version: 1,
  description:
    'A user was deleted (SCIM `DELETE /Users/{id}`). The user is gone from every group of the directory; treat their memberships as ended.',
  properties: userReference,
});

export const GROUP_CREATED_V1_SCHEMA = eventDataSchema({
  type: 'GroupCreated',
  version: 1,
  description: 'A group was created (SCIM `POST /Groups`), with the members it was created with.',
  properties: {
    ...groupState,
    memberIds: idList('User ids (our SCIM ids) of the initial members; often empty, members usually arrive by GroupMembershipChanged.'),
  },
});

export const GROUP_UPDATED_V1_SCHEMA = eventDataSchema({
  type: 'GroupUpdated',
  version: 1,
  description:
    'Attributes of a group other than its members changed, e.g. a rename (SCIM `PUT` or `PATCH /Groups/{id}`). Carries the whole group after the change.',
  properties: {
    ...groupState,
    changedAttributes: changedAttributes(
      'Top-level attribute names whose value changed; extension attributes as `<extension URN>:<attribute>`. Never `members`, `id`, `meta` or `schemas`.',
      ['members', 'id', 'meta', 'schemas'],
    ),
  },
});

export const GROUP_DELETED_V1_SCHEMA = eventDataSchema({
  type: 'GroupDeleted',
  version: 1,
  description: 'A group was deleted (SCIM `DELETE /Groups/{id}`). All its memberships end with it; no GroupMembershipChanged is emitted for them.',
  properties: { groupId, externalId: groupExternalId, displayName: groupDisplayName },
});

export const GROUP_MEMBERSHIP_CHANGED_V1_SCHEMA = eventDataSchema({
  type: 'GroupMembershipChanged',
  version: 1,
  description:
    'Members were added to or removed from a group (SCIM `PATCH` or `PUT /Groups/{id}`). Lists only real changes: re-adding a member or removing a non-member emits nothing, so at least one list is non-empty and no user is in both. The members a group is created with are in GroupCreated’s `memberIds` instead.',
  properties: {
    groupId,
    added: idList('User ids that became members.'),
    removed: idList('User ids that stopped being members.'),
  },
  extra: {
    anyOf: [
      { properties: { added: { type: 'array', minItems: 1 } } },
      { properties: { removed: { type: 'array', minItems: 1 } } },
    ],
  },
});

export const DIRECTORY_CREATED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryCreated',
  version: 1,
  description:
    'A directory was created for an organization (management API `POST /api/v1/organizations/{orgId}/directories`). A new directory is enabled; its first token follows as DirectoryTokenIssued.',
  properties: {
    directoryId,
    organizationId: nonEmptyString('The organization the directory belongs to.'),
    provider: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'The IdP: `onelogin`, `okta`, `entra-id`, `jumpcloud`, `pingidentity`, `google` or `generic`; more may come, treat unknown ones as `generic`.',
    },
    name: nullableString('The name given when creating it, null if none.'),
  },
});

const tokenId = nonEmptyString('The token’s id, as in `DELETE /api/v1/directories/{id}/tokens/{tokenId}`.');
const lastFour = { type: 'string', minLength: 4, maxLength: 4, description: 'The token’s last four characters, to tell tokens apart. Never the token itself.' };

export const DIRECTORY_TOKEN_ISSUED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryTokenIssued',
  version: 1,
  description:
    'A SCIM bearer token was issued for the directory: at creation or by rotation (`POST /api/v1/directories/{id}/tokens`). Never carries the token or its hash.',
  properties: {
    directoryId,
    tokenId,
    lastFour,
    createdAt: dateTime('When the token was issued.'),
    expiresAt: nullableDateTime('When it stops working; null if it does not expire.'),
  },
});

export const DIRECTORY_TOKEN_REVOKED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryTokenRevoked',
  version: 1,
  description: 'A SCIM bearer token was revoked (`DELETE /api/v1/directories/{id}/tokens/{tokenId}`); requests with it are refused from now on.',
  properties: { directoryId, tokenId, lastFour },
});

export const DIRECTORY_ENABLED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryEnabled',
  version: 1,
  description: 'A disabled directory was enabled again: its SCIM endpoint accepts requests.',
  properties: { directoryId },
});

export const DIRECTORY_DISABLED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryDisabled',
  version: 1,
  description: 'The directory was disabled: its SCIM endpoint refuses requests until it is enabled again. Users and groups are kept.',
  properties: { directoryId },
});

const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
const resyncId = nonEmptyString('The resync’s id, as returned by `POST /api/v1/directories/{id}/resync`; also the last part of the subject.');
const sequence = (description: string): JsonSchema => ({ type: 'integer', minimum: 1, description });

export const DIRECTORY_DELETED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryDeleted',
  version: 1,
  description:
    'The directory was deleted (`DELETE /api/v1/directories/{id}`): the last event it ever has. Before it, each of its groups got a GroupDeleted and each of its users a UserDeprovisioned (and role-assignment revoked their roles), so handling those is enough; an app may also drop whatever it still keeps for this directory.',
  properties: {
    directoryId,
    organizationId: nonEmptyString('The organization the directory belonged to.'),
    deprovisionedUsers: count('Users the deletion deprovisioned.'),
    deletedGroups: count('Groups the deletion deleted.'),
  },
});

export const DIRECTORY_RESYNC_STARTED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryResyncStarted',
  version: 1,
  description:
    'A full-state resync began (`POST /api/v1/directories/{id}/resync`): a UserResynced for every user and a GroupResynced for every group follow, then DirectoryResyncCompleted. All on the subject `directory_resync:{directoryId}:{resyncId}`.',
  properties: {
    directoryId,
    resyncId,
    userCount: count('Users the directory had when the resync started.'),
    groupCount: count('Groups the directory had when the resync started.'),
  },
});

export const USER_RESYNCED_V1_SCHEMA = eventDataSchema({
  type: 'UserResynced',
  version: 1,
  description:
    'The current state of one user, re-sent by a resync (nothing changed in the directory): upsert it. If you already applied an event of this user with a `sequence` above `userSequence`, yours is newer: keep it.',
  properties: {
    ...userState,
    resyncId,
    userSequence: sequence('The `sequence` of the user’s stream (subject `directory_user:{directoryId}:{userId}`) this state is as of.'),
  },
});

export const GROUP_RESYNCED_V1_SCHEMA = eventDataSchema({
  type: 'GroupResynced',
  version: 1,
  description:
    'The current state of one group and all its members, re-sent by a resync: upsert it and set its members to `memberIds`, unless you applied a later event of the group (`sequence` above `groupSequence`).',
  properties: {
    ...groupState,
    resyncId,
    memberIds: idList('Every member of the group (our SCIM user ids).'),
    groupSequence: sequence('The `sequence` of the group’s stream (subject `directory_group:{directoryId}:{groupId}`) this state is as of.'),
  },
});

export const DIRECTORY_RESYNC_COMPLETED_V1_SCHEMA = eventDataSchema({
  type: 'DirectoryResyncCompleted',
  version: 1,
  description:
    'The resync sent every user and group. Users and groups you keep for this directory that got no UserResynced / GroupResynced in this resync (and no event of their own since it started) are not in the directory any more: drift to repair.',
  properties: {
    directoryId,
    resyncId,
    userCount: count('UserResynced events this resync sent.'),
    groupCount: count('GroupResynced events this resync sent.'),
  },
});
