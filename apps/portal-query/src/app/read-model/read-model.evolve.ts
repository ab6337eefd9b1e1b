import type { UserStateV1 } from '@scimbridge/contracts';

/*
 * The pure parts of the read-model projection: what a user row holds, and how a batch's effects on a
 * directory's overview add up. No I/O here; the projection turns these into SQL.
 */

const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The users-table columns of a user state (UserProvisioned / UserUpdated), as JSON for jsonb_to_recordset. */
export interface UserColumns {
  readonly user_id: string;
  readonly external_id: string | null;
  readonly user_name: string;
  readonly display_name: string | null;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly primary_email: string | null;
  readonly active: boolean;
  readonly department: string | null;
  readonly title: string | null;
  readonly emails: UserStateV1['emails'];
  readonly attributes: UserStateV1['resource'];
}

export function userColumns(state: UserStateV1): UserColumns {
  const enterprise = state.resource[ENTERPRISE_USER];
  const department = isRecord(enterprise) ? enterprise['department'] : undefined;
  const title = state.resource['title'];
  return {
    user_id: state.userId,
    external_id: state.externalId,
    user_name: state.userName,
    display_name: state.displayName,
    given_name: state.givenName,
    family_name: state.familyName,
    primary_email: state.primaryEmail,
    active: state.active,
    department: typeof department === 'string' && department !== '' ? department : null,
    title: typeof title === 'string' && title !== '' ? title : null,
    emails: state.emails,
    attributes: state.resource,
  };
}

/** What one batch did to a directory's overview; summed, so the order of events does not matter. */
export interface OverviewDelta {
  usersActive: number;
  usersInactive: number;
  groups: number;
  /** Earliest and latest user/group event time (ISO) in the batch. */
  firstSyncAt: string | null;
  lastSyncAt: string | null;
  /** The latest event by (time, id): a total order, so a replay in another interleaving ends the same. */
  lastEvent: { readonly at: string; readonly id: string; readonly type: string } | null;
}

export function emptyDelta(): OverviewDelta {
  return { usersActive: 0, usersInactive: 0, groups: 0, firstSyncAt: null, lastSyncAt: null, lastEvent: null };
}

/** Counts a user moving from `was` (undefined: absent) to `now` (undefined: gone). */
export function countUser(delta: OverviewDelta, was: boolean | undefined | null, now: boolean | undefined | null): void {
  if (was === true) delta.usersActive -= 1;
  if (was === false) delta.usersInactive -= 1;
  if (now === true) delta.usersActive += 1;
  if (now === false) delta.usersInactive += 1;
}

const SYNC_TYPES = new Set(['UserProvisioned', 'UserUpdated', 'UserDeactivated', 'UserReactivated', 'UserDeprovisioned', 'GroupCreated', 'GroupUpdated', 'GroupDeleted', 'GroupMembershipChanged']);

/** Whether an event is a SCIM write of the IdP (a "sync"), as opposed to directory lifecycle or roles. */
export function isSyncEvent(type: string): boolean {
  return SYNC_TYPES.has(type);
}

export function noteEvent(delta: OverviewDelta, event: { readonly id: string; readonly type: string; readonly time: string }): void {
  const at = new Date(event.time).toISOString();
  if (isSyncEvent(event.type)) {
    if (delta.firstSyncAt === null || at < delta.firstSyncAt) delta.firstSyncAt = at;
    if (delta.lastSyncAt === null || at > delta.lastSyncAt) delta.lastSyncAt = at;
  }
  const last = delta.lastEvent;
  if (last === null || at > last.at || (at === last.at && event.id > last.id)) delta.lastEvent = { at, id: event.id, type: event.type };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
