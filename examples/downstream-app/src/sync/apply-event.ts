import { streamIds, type ContractEvent, type EventEnvelope, type UserStateV1 } from '@scimbridge/contracts';
import type { EntityManager } from 'typeorm';
import { advancePosition, lockPosition } from './subject-positions';

/*
 * What each event does to the app's tables. One function for both delivery modes (Kafka and webhooks);
 * it runs inside the transaction that also records the event as applied (./event-sink.ts).
 *
 * Every write is create-or-update by id, never "update and hope the row exists": scimbridge guarantees
 * order within a directory on one topic, but not between topics, so a RoleAssigned (scim.role.events)
 * can arrive before the UserProvisioned (scim.directory.events) of the same user. A role event for an
 * unknown user creates a placeholder row that the user's own events fill in later.
 */

export type ApplyResult = 'applied' | 'ignored';

interface Context {
  readonly directoryId: string;
  readonly organizationId: string;
  /** The event's time: rows record when the directory changed, not when this app heard of it. */
  readonly at: Date;
}

export async function applyEvent(db: EntityManager, envelope: EventEnvelope, event: ContractEvent): Promise<ApplyResult> {
  const ctx: Context = { directoryId: envelope.directoryid, organizationId: envelope.organizationid, at: new Date(envelope.time) };
  switch (event.type) {
    // Users. UserProvisioned and UserUpdated both carry the user's whole state: just store it.
    case 'UserProvisioned':
    case 'UserUpdated':
      await upsertUser(db, ctx, event.data);
      return 'applied';
    case 'UserDeactivated':
      await updateUser(db, ctx, event.data.userId, `active = false, ${SEEN}`);
      return 'applied';
    case 'UserReactivated':
      await updateUser(db, ctx, event.data.userId, `active = true, ${SEEN}`);
      return 'applied';
    case 'UserDeprovisioned':
      // Deleted in the IdP. The row stays (audit, foreign keys in a real app), marked; its roles go with
      // the RoleRevoked events role-assignment sends for it.
      await updateUser(db, ctx, event.data.userId, `active = false, deprovisioned_at = $3, ${SEEN}`);
      return 'applied';

    // Groups and memberships.
    case 'GroupCreated':
      await upsertGroup(db, ctx, event.data.groupId, event.data.displayName);
      await addMembers(db, ctx, event.data.groupId, event.data.memberIds);
      return 'applied';
    case 'GroupUpdated':
      await upsertGroup(db, ctx, event.data.groupId, event.data.displayName);
      return 'applied';
    case 'GroupDeleted':
      await db.query('DELETE FROM groups WHERE directory_id = $1 AND group_id = $2', [ctx.directoryId, event.data.groupId]);
      await removeMembers(db, ctx, event.data.groupId, null);
      return 'applied';
    case 'GroupMembershipChanged':
      await addMembers(db, ctx, event.data.groupId, event.data.added);
      await removeMembers(db, ctx, event.data.groupId, event.data.removed);
      return 'applied';

    // The directory itself.
    case 'DirectoryCreated':
      await db.query(
        `INSERT INTO directories (directory_id, organization_id, provider, name, enabled, updated_at) VALUES ($1, $2, $3, $4, true, $5)
         ON CONFLICT (directory_id) DO UPDATE SET provider = EXCLUDED.provider, name = EXCLUDED.name, updated_at = EXCLUDED.updated_at`,
        [ctx.directoryId, ctx.organizationId, event.data.provider, event.data.name, ctx.at],
      );
      return 'applied';
    case 'DirectoryEnabled':
    case 'DirectoryDisabled':
      await db.query(
        `INSERT INTO directories (directory_id, organization_id, enabled, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (directory_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at`,
        [ctx.directoryId, ctx.organizationId, event.type === 'DirectoryEnabled', ctx.at],
      );
      return 'applied';

    case 'DirectoryDeleted':
      // The directory's last event. Each user already got a UserDeprovisioned and each group a
      // GroupDeleted; the app drops what is left. (Role events still in flight on the other topic find
      // no row and create none: see ensureUsers.)
      await db.query('DELETE FROM users WHERE directory_id = $1', [ctx.directoryId]);
      await db.query('DELETE FROM groups WHERE directory_id = $1', [ctx.directoryId]);
      await db.query(
        `INSERT INTO directories (directory_id, organization_id, enabled, deleted_at, updated_at) VALUES ($1, $2, false, $3, $3)
         ON CONFLICT (directory_id) DO UPDATE SET enabled = false, deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at`,
        [ctx.directoryId, ctx.organizationId, ctx.at],
      );
      return 'applied';

    // Full-state resync: every user and group sent again between Started and Completed. Whatever the app
    // has that the resync neither reported nor changed meanwhile is drift (e.g. a deletion it missed).
    case 'DirectoryResyncStarted':
      await db.query(
        `INSERT INTO directories (directory_id, organization_id, enabled, resync_id, updated_at) VALUES ($1, $2, true, $3, $4)
         ON CONFLICT (directory_id) DO UPDATE SET resync_id = EXCLUDED.resync_id, updated_at = EXCLUDED.updated_at`,
        [ctx.directoryId, ctx.organizationId, event.data.resyncId, ctx.at],
      );
      return 'applied';
    case 'UserResynced': {
      const { resyncId, userSequence } = event.data;
      // The state is as of `userSequence` of the user's own stream. If the app already applied a later
      // event of the user, its row is newer: keep it, only note the user as seen.
      const userStream = streamIds.user(ctx.directoryId, event.data.userId);
      if ((await lockPosition(db, userStream, envelope.id)) > userSequence) {
        await updateUser(db, ctx, event.data.userId, 'last_resync_id = $3', [resyncId]);
      } else {
        await upsertUser(db, ctx, event.data, resyncId);
        await advancePosition(db, userStream, userSequence, envelope.id); // events up to it are in the row now
      }
      return 'applied';
    }
    case 'GroupResynced': {
      const { groupId, resyncId, groupSequence, memberIds } = event.data;
      const groupStream = streamIds.group(ctx.directoryId, groupId);
      if ((await lockPosition(db, groupStream, envelope.id)) > groupSequence) {
        // Newer events of the group were applied (it may even be deleted since): keep what the app has.
        await db.query('UPDATE groups SET last_resync_id = $3 WHERE directory_id = $1 AND group_id = $2', [ctx.directoryId, groupId, resyncId]);
      } else {
        await upsertGroup(db, ctx, groupId, event.data.displayName, resyncId);
        // The whole membership: add the members, take the group away from everyone else.
        await addMembers(db, ctx, groupId, memberIds);
        await db.query(
          `UPDATE users SET group_ids = array_remove(group_ids, $2), updated_at = $4
            WHERE directory_id = $1 AND $2 = ANY(group_ids) AND NOT (user_id = ANY($3::text[]))`,
          [ctx.directoryId, groupId, memberIds, ctx.at],
        );
        await advancePosition(db, groupStream, groupSequence, envelope.id);
      }
      return 'applied';
    }
    case 'DirectoryResyncCompleted': {
      const params = [ctx.directoryId, event.data.resyncId, ctx.at];
      // Users the directory no longer has: deprovisioned, holding no roles or groups (their RoleRevoked
      // were presumably missed with the rest).
      await db.query(
        `UPDATE users SET active = false, deprovisioned_at = $3, roles = '{}', group_ids = '{}', updated_at = $3
          WHERE directory_id = $1 AND deprovisioned_at IS NULL AND last_resync_id IS DISTINCT FROM $2`,
        params,
      );
      const gone = (await db.query('DELETE FROM groups WHERE directory_id = $1 AND last_resync_id IS DISTINCT FROM $2 RETURNING group_id', params.slice(0, 2))) as {
        group_id: string;
      }[];
      for (const { group_id } of gone) await removeMembers(db, ctx, group_id, null);
      await db.query('UPDATE directories SET resync_id = NULL, updated_at = $3 WHERE directory_id = $1 AND resync_id = $2', params);
      return 'applied';
    }

    // Roles: the user's effective roles, as role-assignment computed them from the group mappings.
    case 'RoleAssigned':
      await updateUser(db, ctx, event.data.userId, 'roles = ARRAY(SELECT DISTINCT r FROM unnest(array_append(roles, $3)) AS r ORDER BY 1)', [event.data.role]);
      return 'applied';
    case 'RoleRevoked':
      await updateUser(db, ctx, event.data.userId, 'roles = array_remove(roles, $3)', [event.data.role]);
      return 'applied';
    // A resync's statement of the user's whole role set: replace ours (it repairs any role we missed).
    case 'UserRolesResynced':
      await updateUser(db, ctx, event.data.userId, 'roles = ARRAY(SELECT DISTINCT r FROM unnest($3::text[]) AS r ORDER BY 1)', [event.data.roles.map((r) => r.role)]);
      return 'applied';

    // Nothing for this app: token rotation is the IdP admin's business, and mapping changes reach it as
    // RoleAssigned / RoleRevoked. New event types may appear on a topic at any time: ignore what you
    // do not handle (and do not fail on it).
    case 'DirectoryTokenIssued':
    case 'DirectoryTokenRevoked':
    case 'RoleMappingsChanged':
    default:
      return 'ignored';
  }
}

/**
 * Marks a user or group as seen by the resync in progress, if any: a change made during a resync is as
 * good as being reported by it. `$1` must be the directory id.
 */
const SEEN = 'last_resync_id = coalesce((SELECT resync_id FROM directories WHERE directory_id = $1), last_resync_id)';

const displayNameOf = (user: UserStateV1): string | null =>
  user.displayName ?? ([user.givenName, user.familyName].filter((part) => part).join(' ') || null);

/** The user's whole state. Roles and groups are left alone: they come from other events. */
async function upsertUser(db: EntityManager, ctx: Context, user: UserStateV1, resyncId: string | null = null): Promise<void> {
  await db.query(
    `INSERT INTO users (directory_id, user_id, organization_id, user_name, email, display_name, external_id, active, last_resync_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, (SELECT resync_id FROM directories WHERE directory_id = $1)), $10)
     ON CONFLICT (directory_id, user_id) DO UPDATE SET
       user_name = EXCLUDED.user_name, email = EXCLUDED.email, display_name = EXCLUDED.display_name,
       external_id = EXCLUDED.external_id, active = EXCLUDED.active, deprovisioned_at = NULL,
       last_resync_id = coalesce(EXCLUDED.last_resync_id, users.last_resync_id), updated_at = EXCLUDED.updated_at`,
    [ctx.directoryId, user.userId, ctx.organizationId, user.userName, user.primaryEmail, displayNameOf(user), user.externalId, user.active, resyncId, ctx.at],
  );
}

/**
 * Creates the row if this is the first the app hears of the user (see the top of this file), unless the
 * directory was deleted: a late role event must not bring its users back.
 */
async function ensureUsers(db: EntityManager, ctx: Context, userIds: readonly string[]): Promise<void> {
  await db.query(
    `INSERT INTO users (directory_id, user_id, organization_id, active, updated_at)
     SELECT $1, id, $2, false, $3 FROM unnest($4::text[]) AS id
      WHERE NOT EXISTS (SELECT 1 FROM directories WHERE directory_id = $1 AND deleted_at IS NOT NULL)
     ON CONFLICT (directory_id, user_id) DO NOTHING`,
    [ctx.directoryId, ctx.organizationId, ctx.at, userIds],
  );
}

/** `set` may use $3… for `params`; $1 is the directory, $2 the user, $3 (when no params) the event time. */
async function updateUser(db: EntityManager, ctx: Context, userId: string, set: string, params: readonly unknown[] = []): Promise<void> {
  await ensureUsers(db, ctx, [userId]);
  const timeParam = `$${3 + params.length}`;
  await db.query(`UPDATE users SET ${set}, updated_at = ${timeParam} WHERE directory_id = $1 AND user_id = $2`, [
    ctx.directoryId,
    userId,
    ...params,
    ctx.at,
  ]);
}

async function upsertGroup(db: EntityManager, ctx: Context, groupId: string, displayName: string, resyncId: string | null = null): Promise<void> {
  await db.query(
    `INSERT INTO groups (directory_id, group_id, display_name, last_resync_id, updated_at)
     VALUES ($1, $2, $3, coalesce($4, (SELECT resync_id FROM directories WHERE directory_id = $1)), $5)
     ON CONFLICT (directory_id, group_id) DO UPDATE SET display_name = EXCLUDED.display_name,
       last_resync_id = coalesce(EXCLUDED.last_resync_id, groups.last_resync_id), updated_at = EXCLUDED.updated_at`,
    [ctx.directoryId, groupId, displayName, resyncId, ctx.at],
  );
}

async function addMembers(db: EntityManager, ctx: Context, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await ensureUsers(db, ctx, userIds);
  await db.query(
    `UPDATE users SET group_ids = ARRAY(SELECT DISTINCT g FROM unnest(array_append(group_ids, $2)) AS g ORDER BY 1), updated_at = $4
      WHERE directory_id = $1 AND user_id = ANY($3::text[])`,
    [ctx.directoryId, groupId, userIds, ctx.at],
  );
}

/** Removes the group from these users, or from every user when `userIds` is null. */
async function removeMembers(db: EntityManager, ctx: Context, groupId: string, userIds: readonly string[] | null): Promise<void> {
  if (userIds !== null && userIds.length === 0) return;
  await db.query(
    `UPDATE users SET group_ids = array_remove(group_ids, $2), updated_at = $4
      WHERE directory_id = $1 AND $2 = ANY(group_ids) AND ($3::text[] IS NULL OR user_id = ANY($3::text[]))`,
    [ctx.directoryId, groupId, userIds, ctx.at],
  );
}
