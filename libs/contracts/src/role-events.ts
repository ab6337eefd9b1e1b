import type { VersionedEvent } from './versioned-event';

/** Events on `scim.role.events`: effective role changes, projected by role-assignment. */

export interface RoleAssignedDataV1 {
  readonly userId: string;
  readonly role: string;
  /** The groups whose mapping grants the role; [] when only the directory's default role grants it. */
  readonly viaGroupIds: readonly string[];
}
export type RoleAssignedV1 = VersionedEvent<'RoleAssigned', 1, RoleAssignedDataV1>;

export interface RoleRevokedDataV1 {
  readonly userId: string;
  readonly role: string;
  /**
   * The groups whose mapping no longer grants the role (the user left them, they were deleted, or their
   * mapping changed); [] when the directory's default role stopped granting it or the user was deprovisioned.
   */
  readonly viaGroupIds: readonly string[];
}
export type RoleRevokedV1 = VersionedEvent<'RoleRevoked', 1, RoleRevokedDataV1>;

/** One role a user holds, and what grants it. */
export interface HeldRoleV1 {
  readonly role: string;
  /** As in RoleAssigned: the granting groups; [] when only the default role grants it. */
  readonly viaGroupIds: readonly string[];
}

/**
 * A resync's statement of every role a user holds (their whole set, possibly empty), on the user's role
 * stream between their RoleAssigned/RoleRevoked: replace what you have for the user with it.
 */
export interface UserRolesResyncedDataV1 {
  readonly userId: string;
  /** The resync (DirectoryResyncStarted…Completed on scim.directory.events) this belongs to. */
  readonly resyncId: string;
  readonly roles: readonly HeldRoleV1[];
}
export type UserRolesResyncedV1 = VersionedEvent<'UserRolesResynced', 1, UserRolesResyncedDataV1>;

export type RoleAssigned = RoleAssignedV1;
export type RoleRevoked = RoleRevokedV1;
export type UserRolesResynced = UserRolesResyncedV1;
export type RoleEvent = RoleAssigned | RoleRevoked | UserRolesResynced;
