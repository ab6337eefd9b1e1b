import type { VersionedEvent } from './versioned-event';

/*
 * Events on `scim.directory.events`, emitted by scim-ingress. Values an IdP may leave out are `null`
 * rather than absent, so every field is always there for consumers to read.
 */

/** One entry of a user's `emails`, reduced to what apps act on; the rest stays in `resource`. */
export interface UserEmailV1 {
  readonly value: string;
  readonly type: string | null;
  readonly primary: boolean;
}

/** A user as downstream apps need it: the usual fields, plus the whole canonical SCIM resource. */
export interface UserStateV1 {
  /** Our SCIM resource id: stable for the user's lifetime in this directory. */
  readonly userId: string;
  /** The IdP's own id for the user. */
  readonly externalId: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  /** The email marked primary, else the first email, else null. */
  readonly primaryEmail: string | null;
  readonly emails: readonly UserEmailV1[];
  /**
   * The canonical SCIM User as the SCIM endpoint returns it (core and extension attributes, `schemas`,
   * `id`, `meta`). Never `password`, never `groups` (memberships travel in group events).
   */
  readonly resource: Readonly<Record<string, unknown>>;
}

export type UserProvisionedDataV1 = UserStateV1;
export type UserProvisionedV1 = VersionedEvent<'UserProvisioned', 1, UserProvisionedDataV1>;

export interface UserUpdatedDataV1 extends UserStateV1 {
  /**
   * Top-level attribute names whose value changed (`name`, not `name.givenName`); extension attributes
   * as `<extension URN>:<attribute>`. Never `active`: that change is UserDeactivated/UserReactivated.
   */
  readonly changedAttributes: readonly string[];
}
export type UserUpdatedV1 = VersionedEvent<'UserUpdated', 1, UserUpdatedDataV1>;

/** Enough to find the user in the app without having kept the whole state. */
export interface UserReferenceV1 {
  readonly userId: string;
  readonly externalId: string | null;
  readonly userName: string;
}
export type UserDeactivatedDataV1 = UserReferenceV1;
export type UserDeactivatedV1 = VersionedEvent<'UserDeactivated', 1, UserDeactivatedDataV1>;
export type UserReactivatedDataV1 = UserReferenceV1;
export type UserReactivatedV1 = VersionedEvent<'UserReactivated', 1, UserReactivatedDataV1>;
export type UserDeprovisionedDataV1 = UserReferenceV1;
export type UserDeprovisionedV1 = VersionedEvent<'UserDeprovisioned', 1, UserDeprovisionedDataV1>;

export interface GroupStateV1 {
  /** Our SCIM resource id. */
  readonly groupId: string;
  readonly externalId: string | null;
  readonly displayName: string;
  /** The canonical SCIM Group without `members`: membership travels only in membership fields/events. */
  readonly resource: Readonly<Record<string, unknown>>;
}

export interface GroupCreatedDataV1 extends GroupStateV1 {
  /** User ids (our SCIM ids) that are members from the start; often empty. */
  readonly memberIds: readonly string[];
}
export type GroupCreatedV1 = VersionedEvent<'GroupCreated', 1, GroupCreatedDataV1>;

export interface GroupUpdatedDataV1 extends GroupStateV1 {
  /** As for users; never `members` (that is GroupMembershipChanged). */
  readonly changedAttributes: readonly string[];
}
export type GroupUpdatedV1 = VersionedEvent<'GroupUpdated', 1, GroupUpdatedDataV1>;

export interface GroupDeletedDataV1 {
  readonly groupId: string;
  readonly externalId: string | null;
  readonly displayName: string;
}
export type GroupDeletedV1 = VersionedEvent<'GroupDeleted', 1, GroupDeletedDataV1>;

export interface GroupMembershipChangedDataV1 {
  readonly groupId: string;
  /** Users who were not members before. */
  readonly added: readonly string[];
  /** Users who were members before. */
  readonly removed: readonly string[];
}
export type GroupMembershipChangedV1 = VersionedEvent<'GroupMembershipChanged', 1, GroupMembershipChangedDataV1>;

/** Providers the portal offers today; the contract accepts any lower-case id so adding one is not a breaking change. */
export const DIRECTORY_PROVIDERS = ['onelogin', 'okta', 'entra-id', 'jumpcloud', 'pingidentity', 'google', 'generic'] as const;
export type KnownDirectoryProvider = (typeof DIRECTORY_PROVIDERS)[number];

export interface DirectoryCreatedDataV1 {
  readonly directoryId: string;
  readonly organizationId: string;
  /** One of DIRECTORY_PROVIDERS today; treat unknown values as `generic`. */
  readonly provider: string;
  readonly name: string | null;
}
export type DirectoryCreatedV1 = VersionedEvent<'DirectoryCreated', 1, DirectoryCreatedDataV1>;

/** Token facts only: the secret and its hash never leave the ingress. */
export interface DirectoryTokenIssuedDataV1 {
  readonly directoryId: string;
  readonly tokenId: string;
  /** The token's last four characters, so an admin can tell tokens apart. */
  readonly lastFour: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}
export type DirectoryTokenIssuedV1 = VersionedEvent<'DirectoryTokenIssued', 1, DirectoryTokenIssuedDataV1>;

export interface DirectoryTokenRevokedDataV1 {
  readonly directoryId: string;
  readonly tokenId: string;
  readonly lastFour: string;
}
export type DirectoryTokenRevokedV1 = VersionedEvent<'DirectoryTokenRevoked', 1, DirectoryTokenRevokedDataV1>;

export interface DirectoryEnabledDataV1 {
  readonly directoryId: string;
}
export type DirectoryEnabledV1 = VersionedEvent<'DirectoryEnabled', 1, DirectoryEnabledDataV1>;
export interface DirectoryDisabledDataV1 {
  readonly directoryId: string;
}
export type DirectoryDisabledV1 = VersionedEvent<'DirectoryDisabled', 1, DirectoryDisabledDataV1>;

/**
 * The last event of a directory. Before it, every user of the directory got a UserDeprovisioned and every
 * group a GroupDeleted (so an app that handles those needs nothing else); after it, nothing more comes.
 */
export interface DirectoryDeletedDataV1 {
  readonly directoryId: string;
  readonly organizationId: string;
  /** How many users the deletion deprovisioned (each announced by its own UserDeprovisioned). */
  readonly deprovisionedUsers: number;
  /** How many groups the deletion deleted (each announced by its own GroupDeleted). */
  readonly deletedGroups: number;
}
export type DirectoryDeletedV1 = VersionedEvent<'DirectoryDeleted', 1, DirectoryDeletedDataV1>;

/*
 * Full-state resync (`POST /api/v1/directories/{id}/resync`): the current state of every user and group,
 * on a stream of its own (`directory_resync:{directoryId}:{resyncId}`), between a Started and a Completed.
 */
export interface DirectoryResyncStartedDataV1 {
  readonly directoryId: string;
  readonly resyncId: string;
  /** Users and groups the directory had when the resync started (the Completed event has the counts sent). */
  readonly userCount: number;
  readonly groupCount: number;
}
export type DirectoryResyncStartedV1 = VersionedEvent<'DirectoryResyncStarted', 1, DirectoryResyncStartedDataV1>;

export interface UserResyncedDataV1 extends UserStateV1 {
  readonly resyncId: string;
  /**
   * The `sequence` of the user's own stream (subject `directory_user:…`) this state is as of. If you have
   * applied a later event of that user, this state is older than what you have: keep yours.
   */
  readonly userSequence: number;
}
export type UserResyncedV1 = VersionedEvent<'UserResynced', 1, UserResyncedDataV1>;

export interface GroupResyncedDataV1 extends GroupStateV1 {
  readonly resyncId: string;
  /** Every member (user ids) at `groupSequence`. */
  readonly memberIds: readonly string[];
  /** As `userSequence`, for the group's stream (subject `directory_group:…`). */
  readonly groupSequence: number;
}
export type GroupResyncedV1 = VersionedEvent<'GroupResynced', 1, GroupResyncedDataV1>;

export interface DirectoryResyncCompletedDataV1 {
  readonly directoryId: string;
  readonly resyncId: string;
  /** UserResynced / GroupResynced events this resync sent. */
  readonly userCount: number;
  readonly groupCount: number;
}
export type DirectoryResyncCompletedV1 = VersionedEvent<'DirectoryResyncCompleted', 1, DirectoryResyncCompletedDataV1>;

// Current shapes: what producers write and what parseEnvelope hands consumers after upcasting.
export type UserProvisioned = UserProvisionedV1;
export type UserUpdated = UserUpdatedV1;
export type UserDeactivated = UserDeactivatedV1;
export type UserReactivated = UserReactivatedV1;
export type UserDeprovisioned = UserDeprovisionedV1;
export type GroupCreated = GroupCreatedV1;
export type GroupUpdated = GroupUpdatedV1;
export type GroupDeleted = GroupDeletedV1;
export type GroupMembershipChanged = GroupMembershipChangedV1;
export type DirectoryCreated = DirectoryCreatedV1;
export type DirectoryTokenIssued = DirectoryTokenIssuedV1;
export type DirectoryTokenRevoked = DirectoryTokenRevokedV1;
export type DirectoryEnabled = DirectoryEnabledV1;
export type DirectoryDisabled = DirectoryDisabledV1;
export type DirectoryDeleted = DirectoryDeletedV1;
export type DirectoryResyncStarted = DirectoryResyncStartedV1;
export type UserResynced = UserResyncedV1;
export type GroupResynced = GroupResyncedV1;
export type DirectoryResyncCompleted = DirectoryResyncCompletedV1;

export type DirectoryEvent =
  | UserProvisioned
  | UserUpdated
  | UserDeactivated
  | UserReactivated
  | UserDeprovisioned
  | GroupCreated
  | GroupUpdated
  | GroupDeleted
  | GroupMembershipChanged
  | DirectoryCreated
  | DirectoryTokenIssued
  | DirectoryTokenRevoked
  | DirectoryEnabled
  | DirectoryDisabled
  | DirectoryDeleted
  | DirectoryResyncStarted
  | UserResynced
  | GroupResynced
  | DirectoryResyncCompleted;
