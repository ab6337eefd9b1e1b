import type { DefaultRoleV2, GroupRoleMappingV1, RoleMappingsChangedDataV2 } from '@scimbridge/contracts';

/*
 * Replacing a directory's group-to-role mappings (PUT semantics), decided purely: the caller brings what
 * the decision needs (the groups the service has seen, the organization's catalog, the current set).
 */

export interface MappingSetState {
  /** One entry per group granting at least one role, sorted by group id, roles sorted and unique. */
  readonly mappings: readonly GroupRoleMappingV1[];
  readonly defaultRole: DefaultRoleV2 | null;
}

export interface ReplaceRoleMappings {
  readonly directoryId: string;
  readonly mappings: readonly { readonly groupId: string; readonly roles: readonly string[] }[];
  readonly defaultRole: string | null;
  readonly defaultRoleAppliesTo: 'unassigned' | 'everyone';
}

export interface RoleMappingContext {
  /** Groups of the directory that exist now (deleted ones are not here). */
  readonly groups: ReadonlySet<string>;
  /** Role keys of the directory's organization. */
  readonly catalog: ReadonlySet<string>;
  readonly current: MappingSetState;
}

export type RoleMappingDecision =
  | { readonly kind: 'rejected'; readonly problems: readonly string[] }
  | { readonly kind: 'unchanged'; readonly state: MappingSetState }
  | { readonly kind: 'changed'; readonly state: MappingSetState; readonly data: RoleMappingsChangedDataV2 };

export const EMPTY_MAPPING_SET: MappingSetState = { mappings: [], defaultRole: null };

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every problem at once, so an admin can fix the whole request in one go. */
export function decideRoleMappings(command: ReplaceRoleMappings, context: RoleMappingContext): RoleMappingDecision {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  command.mappings.forEach((m, i) => {
    const first = seen.get(m.groupId);
    if (first !== undefined) problems.push(`mappings[${i}].groupId: group ${m.groupId} is already mapped in mappings[${first}]`);
    else seen.set(m.groupId, i);
    if (!context.groups.has(m.groupId)) problems.push(`mappings[${i}].groupId: group ${m.groupId} is not a group of this directory`);
    m.roles.forEach((role, j) => {
      if (!context.catalog.has(role)) problems.push(`mappings[${i}].roles[${j}]: role ${JSON.stringify(role)} is not in the organization's roles catalog`);
    });
  });
  if (command.defaultRole !== null && !context.catalog.has(command.defaultRole)) {
    problems.push(`defaultRole: role ${JSON.stringify(command.defaultRole)} is not in the organization's roles catalog`);
  }
  if (problems.length > 0) return { kind: 'rejected', problems };

  const mappings = command.mappings
    .map((m) => ({ groupId: m.groupId, roles: [...new Set(m.roles)].sort(byCodeUnit) }))
    // A group mapped to no role grants nothing: not worth an entry.
    .filter((m) => m.roles.length > 0)
    .sort((a, b) => byCodeUnit(a.groupId, b.groupId));
  const defaultRole = command.defaultRole === null ? null : { role: command.defaultRole, appliesTo: command.defaultRoleAppliesTo };
  const state: MappingSetState = { mappings, defaultRole };
  if (sameMappingSet(state, context.current)) return { kind: 'unchanged', state };
  return { kind: 'changed', state, data: { directoryId: command.directoryId, mappings, defaultRole } };
}

/** Equal sets, whatever the key order of their objects (a set read back from jsonb has its keys reordered). */
export function sameMappingSet(a: MappingSetState, b: MappingSetState): boolean {
  const canonical = (s: MappingSetState): string =>
    JSON.stringify({
      mappings: s.mappings.map((m) => [m.groupId, m.roles]),
      defaultRole: s.defaultRole === null ? null : [s.defaultRole.role, s.defaultRole.appliesTo],
    });
  return canonical(a) === canonical(b);
}
