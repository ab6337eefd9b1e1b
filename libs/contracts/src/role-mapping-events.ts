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

export type RoleMappingsChanged = RoleMappingsChangedV1;
export type RoleMappingEvent = RoleMappingsChanged;
