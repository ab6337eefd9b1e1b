import type { VersionedEvent } from './versioned-event';

/** Events on `scim.role-mapping.events`, emitted by role-assignment for the management API. */

export interface GroupRoleMappingV1 {
  readonly groupId: string;
  /** Role names of the organization; an empty list grants nothing. */
  readonly roles: readonly string[];
}

export interface RoleMappingsChangedDataV1 {
  readonly directoryId: string;
  /** The complete new mapping set (PUT semantics), one entry per group. */
  readonly mappings: readonly GroupRoleMappingV1[];
  /** Granted to every user of the directory whatever their groups; absent when there is none. */
  readonly defaultRole?: string;
}
export type RoleMappingsChangedV1 = VersionedEvent<'RoleMappingsChanged', 1, RoleMappingsChangedDataV1>;

/**
 * V2: the default role says whom it is for. V1's `defaultRole` was for every user whatever their groups;
 * the portal's "Unassigned users get <role>" needs one for users none of whose groups grants a role.
 */
export interface DefaultRoleV2 {
  readonly role: string;
  /**
   * `unassigned`: active users none of whose groups grants a role get it (the portal's default role).
   * `everyone`: every active user gets it, whatever their groups (V1's meaning).
   */
  readonly appliesTo: 'unassigned' | 'everyone';
}

export interface RoleMappingsChangedDataV2 {
  readonly directoryId: string;
  /** The complete new mapping set (PUT semantics), one entry per group that grants at least one role. */
  readonly mappings: readonly GroupRoleMappingV1[];
  /** null when the directory has no default role. */
  readonly defaultRole: DefaultRoleV2 | null;
}
export type RoleMappingsChangedV2 = VersionedEvent<'RoleMappingsChanged', 2, RoleMappingsChangedDataV2>;

export type RoleMappingsChanged = RoleMappingsChangedV2;
export type RoleMappingEvent = RoleMappingsChanged;
