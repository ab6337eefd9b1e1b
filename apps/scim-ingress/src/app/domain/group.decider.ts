import {
  groupStateFromResource,
  type GroupCreated,
  type GroupDeleted,
  type GroupMembershipChanged,
  type GroupUpdated,
} from '@scimbridge/contracts';
import { ScimError } from '@scimbridge/scim';
import { changedAttributes, type Resource } from './resource-diff';

/*
 * The Group aggregate as a pure decider. Membership is the part IdPs change most: adding a member that
 * is already there or removing one that is not is a no-op (Entra ID and JumpCloud repeat adds), so
 * GroupMembershipChanged only ever lists real changes.
 */

export type GroupEvent = GroupCreated | GroupUpdated | GroupDeleted | GroupMembershipChanged;

export type GroupState =
  | { readonly status: 'absent' }
  | { readonly status: 'present'; readonly resource: Resource; readonly memberIds: ReadonlySet<string> }
  | { readonly status: 'deleted' };

export const INITIAL_GROUP_STATE: GroupState = { status: 'absent' };

export type GroupCommand =
  | { readonly kind: 'CreateGroup'; readonly resource: Resource }
  | { readonly kind: 'ReplaceGroup'; readonly resource: Resource }
  /** A member left the directory (user deprovisioned): it leaves the group too. */
  | { readonly kind: 'RemoveMembers'; readonly userIds: readonly string[] }
  | { readonly kind: 'DeleteGroup' };

export function decideGroup(command: GroupCommand, state: GroupState): GroupEvent[] {
  switch (command.kind) {
    case 'CreateGroup': {
      if (state.status !== 'absent') throw ScimError.uniqueness('a group with this id already exists');
      const { memberIds, ...group } = groupStateFromResource(command.resource);
      return [{ type: 'GroupCreated', schemaVersion: 1, data: { ...group, memberIds: [...memberIds].sort() } }];
    }
    case 'ReplaceGroup': {
      if (state.status !== 'present') throw ScimError.notFound('Group not found');
      const { memberIds, ...group } = groupStateFromResource(command.resource);
      const events: GroupEvent[] = [];
      const changed = changedAttributes(state.resource, command.resource, ['members']);
      if (changed.length > 0) events.push({ type: 'GroupUpdated', schemaVersion: 1, data: { ...group, changedAttributes: changed } });
      const next = new Set(memberIds);
      const added = [...next].filter((id) => !state.memberIds.has(id)).sort();
      const removed = [...state.memberIds].filter((id) => !next.has(id)).sort();
      if (added.length > 0 || removed.length > 0) {
        events.push({ type: 'GroupMembershipChanged', schemaVersion: 1, data: { groupId: group.groupId, added, removed } });
      }
      return events;
    }
    case 'RemoveMembers': {
      if (state.status !== 'present') return [];
      const removed = [...new Set(command.userIds)].filter((id) => state.memberIds.has(id)).sort();
      if (removed.length === 0) return [];
      const groupId = groupStateFromResource(state.resource).groupId;
      return [{ type: 'GroupMembershipChanged', schemaVersion: 1, data: { groupId, added: [], removed } }];
    }
    case 'DeleteGroup': {
      if (state.status !== 'present') throw ScimError.notFound('Group not found');
      const { groupId, externalId, displayName } = groupStateFromResource(state.resource);
      return [{ type: 'GroupDeleted', schemaVersion: 1, data: { groupId, externalId, displayName } }];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

export function evolveGroup(state: GroupState, event: GroupEvent): GroupState {
  switch (event.type) {
    case 'GroupCreated':
      return { status: 'present', resource: event.data.resource, memberIds: new Set(event.data.memberIds) };
    case 'GroupUpdated':
      return state.status === 'present' ? { ...state, resource: event.data.resource } : state;
    case 'GroupMembershipChanged': {
      if (state.status !== 'present') return state;
      const members = new Set(state.memberIds);
      for (const id of event.data.removed) members.delete(id);
      for (const id of event.data.added) members.add(id);
      return { ...state, memberIds: members };
    }
    case 'GroupDeleted':
      return { status: 'deleted' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The state a stored group resource stands for. */
export function groupStateOf(resource: Resource): GroupState {
  return { status: 'present', resource, memberIds: new Set(groupStateFromResource(resource).memberIds) };
}

/** A group resource with `members` replaced by `memberIds` (kept in the IdP's order, new ones appended). */
export function withoutMembers<R extends Resource>(resource: R, userIds: ReadonlySet<string>): R {
  const members = Array.isArray(resource['members']) ? (resource['members'] as unknown[]) : [];
  const kept = members.filter((m) => !(typeof m === 'object' && m !== null && userIds.has(String((m as Record<string, unknown>)['value']))));
  return { ...resource, members: kept };
}
