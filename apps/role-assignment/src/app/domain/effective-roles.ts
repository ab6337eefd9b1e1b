import type { DefaultRoleV2 } from '@scimbridge/contracts';

/*
 * The rule, stated once as a pure function: the reference the set-based SQL of the grant engine is
 * tested against (the property test folds the published events and compares them with this).
 */

export interface DirectoryState {
  /** userId → active. A deprovisioned user is absent. */
  readonly users: ReadonlyMap<string, boolean>;
  /** groupId → member user ids. A deleted group is absent. */
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
  /** groupId → roles its mapping grants. */
  readonly groupRoles: ReadonlyMap<string, ReadonlySet<string>>;
  readonly defaultRole: DefaultRoleV2 | null;
}

/** userId → role → the groups granting it (sorted; [] when only the default role does). */
export type EffectiveRoles = Map<string, Map<string, string[]>>;

/**
 * A user's roles: the union of the roles mapped to their groups, each with the groups that grant it.
 * A default role for `unassigned` users goes to active users none of whose groups grants any role; one
 * for `everyone` to every active user (its via is then the groups that grant it too, if any). Inactive
 * and deprovisioned users have none.
 */
export function effectiveRoles(state: DirectoryState): EffectiveRoles {
  const result: EffectiveRoles = new Map();
  for (const [groupId, members] of state.members) {
    const roles = state.groupRoles.get(groupId);
    if (!roles || roles.size === 0) continue;
    for (const userId of members) {
      if (state.users.get(userId) !== true) continue;
      const mine = result.get(userId) ?? new Map<string, string[]>();
      for (const role of roles) mine.set(role, [...(mine.get(role) ?? []), groupId]);
      result.set(userId, mine);
    }
  }
  const fallback = state.defaultRole;
  if (fallback) {
    for (const [userId, active] of state.users) {
      if (!active) continue;
      const mine = result.get(userId);
      if (fallback.appliesTo === 'unassigned' && mine && mine.size > 0) continue;
      if (mine?.has(fallback.role)) continue;
      const roles = mine ?? new Map<string, string[]>();
      roles.set(fallback.role, []);
      result.set(userId, roles);
    }
  }
  // Sorted by code unit, as the engine sorts them in SQL (`ORDER BY … COLLATE "C"`, byte order).
  for (const roles of result.values()) for (const [role, via] of roles) roles.set(role, [...via].sort());
  return result;
}

/** A role event as the fold needs it. */
export interface GrantChange {
  readonly type: 'RoleAssigned' | 'RoleRevoked';
  readonly userId: string;
  readonly role: string;
}

/** userId → roles held, after applying role events in order. Throws on an event that contradicts the fold. */
export function foldGrants(changes: readonly GrantChange[]): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>();
  for (const change of changes) {
    const roles = held.get(change.userId) ?? new Set<string>();
    if (change.type === 'RoleAssigned') {
      if (roles.has(change.role)) throw new Error(`RoleAssigned ${change.role} to ${change.userId}, who already holds it`);
      roles.add(change.role);
    } else {
      if (!roles.delete(change.role)) throw new Error(`RoleRevoked ${change.role} from ${change.userId}, who does not hold it`);
    }
    if (roles.size === 0) held.delete(change.userId);
    else held.set(change.userId, roles);
  }
  return held;
}
