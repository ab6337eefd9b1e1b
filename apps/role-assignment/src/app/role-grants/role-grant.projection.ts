import { streamIds, Topics, type ContractEvent, type EventMetadata, type RoleMappingsChanged } from '@scimbridge/contracts';
import type { NewEvent, PostgresEventStore } from '@scimbridge/event-store';
import type { ProjectedEvent, Projection } from '@scimbridge/messaging';
import type { PoolClient } from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { regrant, type AffectedUsers, type GrantChangeRow } from './grant-engine';

/** Names the deterministic ids of role events (uuid v5 namespace; never change it: ids would change). */
const ROLE_EVENT_NAMESPACE = 'b1f0d7a2-6c34-4e8b-9a51-3d2c7f40e9b6';

/**
 * `live`: keeps the directory model and publishes role changes. `replay` (the rebuild): keeps the model
 * only; the rebuild compares the end state with what was published and publishes just the difference.
 */
export type ProjectionMode = 'live' | 'replay';

export const ROLE_GRANTS_PROJECTION = 'role-grants';

/**
 * The consumer of `scim.directory.events` and `scim.role-mapping.events`. Each event updates the
 * directory model (users, groups, memberships, applied mappings) and re-computes the roles of the users
 * it concerns; the differences are appended as RoleAssigned / RoleRevoked to `role_grant:<dir>:<user>`
 * streams in the same transaction as the model and the runner's progress (exactly once in effect), and
 * the relay publishes them on `scim.role.events`, keyed by directory: one user's role events stay in
 * order. Both topics feed one directory's state, so events are serialised per directory.
 */
export class RoleGrantProjection implements Projection {
  readonly name = ROLE_GRANTS_PROJECTION;
  readonly topics = [Topics.directoryEvents, Topics.roleMappingEvents];

  constructor(
    private readonly store: PostgresEventStore,
    private readonly mode: ProjectionMode = 'live',
  ) {}

  serializationKey(event: ProjectedEvent): string | undefined {
    return event.directoryId;
  }

  afterCommit(): void {
    // The role events appended in the committed transaction: wake the relay now, not at its next poll.
    if (this.mode === 'live') this.store.notifyAppended();
  }

  async apply(projected: ProjectedEvent, tx: PoolClient): Promise<void> {
    const directoryId = projected.directoryId;
    if (!directoryId) throw new Error(`event ${projected.id} carries no directory id`);
    // The contracts decoder has validated data against this type's latest schema.
    const event = { type: projected.type, data: projected.data } as ContractEvent;
    const affected = await this.applyToModel(event, directoryId, tx, projected.time);
    // A resync's roles part: once the directory's users and groups are re-sent, every user's role set.
    if (event.type === 'DirectoryResyncCompleted' && this.mode === 'live') await publishRoleResync(tx, this.store, directoryId, event.data.resyncId, projected);
    if (affected === undefined || this.mode === 'replay') return;
    await regrantAndPublish(tx, this.store, directoryId, affected, projected, { revocationsNameNoGroup: event.type === 'UserDeprovisioned' });
  }

  /** Updates the model; returns the users whose roles may have changed (undefined: none). */
  private async applyToModel(event: ContractEvent, directoryId: string, tx: PoolClient, time: string | undefined): Promise<AffectedUsers | undefined> {
    switch (event.type) {
      case 'DirectoryCreated':
        await tx.query(
          `INSERT INTO known_directories (directory_id, organization_id, provider, name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (directory_id) DO UPDATE SET organization_id = EXCLUDED.organization_id, provider = EXCLUDED.provider, name = EXCLUDED.name`,
          [event.data.directoryId, event.data.organizationId, event.data.provider, event.data.name],
        );
        await tx.query('INSERT INTO known_organizations (organization_id) VALUES ($1) ON CONFLICT DO NOTHING', [event.data.organizationId]);
        return undefined;
      case 'UserProvisioned':
      case 'UserUpdated':
        await tx.query({
          name: 'ra_upsert_user',
          text: `INSERT INTO directory_users (directory_id, user_id, user_name, active) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (directory_id, user_id) DO UPDATE SET user_name = EXCLUDED.user_name, active = EXCLUDED.active`,
          values: [directoryId, event.data.userId, event.data.userName, event.data.active],
        });
        return users(event.data.userId);
      case 'UserDeactivated':
      case 'UserReactivated':
        await tx.query({
          name: 'ra_set_active',
          text: 'UPDATE directory_users SET active = $3 WHERE directory_id = $1 AND user_id = $2',
          values: [directoryId, event.data.userId, event.type === 'UserReactivated'],
        });
        return users(event.data.userId);
      case 'UserDeprovisioned':
        await tx.query('DELETE FROM group_members WHERE directory_id = $1 AND user_id = $2', [directoryId, event.data.userId]);
        await tx.query('DELETE FROM directory_users WHERE directory_id = $1 AND user_id = $2', [directoryId, event.data.userId]);
        return users(event.data.userId);
      case 'GroupCreated':
        await tx.query(
          `INSERT INTO directory_groups (directory_id, group_id, display_name) VALUES ($1, $2, $3)
           ON CONFLICT (directory_id, group_id) DO UPDATE SET display_name = EXCLUDED.display_name`,
          [directoryId, event.data.groupId, event.data.displayName],
        );
        await addMembers(tx, directoryId, event.data.groupId, event.data.memberIds);
        return users(...event.data.memberIds);
      case 'GroupUpdated':
        await tx.query('UPDATE directory_groups SET display_name = $3 WHERE directory_id = $1 AND group_id = $2', [directoryId, event.data.groupId, event.data.displayName]);
        return undefined;
      case 'GroupDeleted': {
        const { rows } = await tx.query<{ user_id: string }>('DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 RETURNING user_id', [directoryId, event.data.groupId]);
        await tx.query('DELETE FROM directory_groups WHERE directory_id = $1 AND group_id = $2', [directoryId, event.data.groupId]);
        return users(...rows.map((r) => r.user_id));
      }
      case 'GroupMembershipChanged':
        await addMembers(tx, directoryId, event.data.groupId, event.data.added);
        if (event.data.removed.length > 0) {
          await tx.query({
            name: 'ra_remove_members',
            text: 'DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 AND user_id = ANY($3::text[])',
            values: [directoryId, event.data.groupId, event.data.removed],
          });
        }
        return users(...event.data.added, ...event.data.removed);
      case 'RoleMappingsChanged':
        return (await isDeleted(tx, directoryId)) ? undefined : applyMappings(tx, directoryId, event);
      case 'DirectoryTokenIssued':
      case 'DirectoryTokenRevoked':
      case 'DirectoryEnabled':
      case 'DirectoryDisabled':
        // A disabled directory stops syncing; its users keep their roles until the IdP says otherwise.
        return undefined;
      case 'DirectoryResyncStarted':
      case 'UserResynced':
      case 'GroupResynced':
      case 'DirectoryResyncCompleted':
        // A resync re-sends state this projection already has from the same streams.
        return undefined;
      case 'DirectoryDeleted':
        // Its users were deprovisioned and its groups deleted just before (their roles revoked then);
        // what is left is the directory's mappings, which a deleted directory no longer needs.
        return forgetDirectory(tx, directoryId, time);
      case 'RoleAssigned':
      case 'RoleRevoked':
      case 'UserRolesResynced':
        throw new Error(`${event.type} is not on the topics this projection reads`);
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }
}

/**
 * After DirectoryDeleted: the directory's rows go and its known_directories row becomes a tombstone, so
 * its mappings and roles answer 404 like an unknown directory's, and a RoleMappingsChanged of it that a
 * replay applies after the deletion (another topic) is ignored. Its grants are already revoked (each
 * user's UserDeprovisioned came first); the mapping stream's version row (mapping_sets) stays with the
 * stream it counts.
 */
async function forgetDirectory(tx: PoolClient, directoryId: string, time: string | undefined): Promise<undefined> {
  for (const table of ['role_grants', 'group_roles', 'group_members', 'directory_groups', 'directory_users'] as const) {
    await tx.query(`DELETE FROM ${table} WHERE directory_id = $1`, [directoryId]);
  }
  // The event's time, not now(): a rebuild must end in the same rows.
  if (!time) throw new Error(`DirectoryDeleted of ${directoryId} carries no time`);
  await tx.query('UPDATE known_directories SET deleted_at = $2, default_role = NULL, default_applies_to = NULL WHERE directory_id = $1', [directoryId, time]);
  return undefined;
}

async function isDeleted(tx: PoolClient, directoryId: string): Promise<boolean> {
  const { rows } = await tx.query<{ deleted: boolean }>('SELECT deleted_at IS NOT NULL AS deleted FROM known_directories WHERE directory_id = $1', [directoryId]);
  return rows[0]?.deleted === true;
}

function users(...userIds: string[]): AffectedUsers {
  return { kind: 'users', userIds: [...new Set(userIds)] };
}

async function addMembers(tx: PoolClient, directoryId: string, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.query({
    name: 'ra_add_members',
    text: `INSERT INTO group_members (directory_id, group_id, user_id) SELECT $1, $2, u FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING`,
    values: [directoryId, groupId, userIds],
  });
}

/**
 * Replaces the applied mapping set. Affected are the members of every group whose roles changed; when
 * the default role changed, every user of the directory.
 */
async function applyMappings(tx: PoolClient, directoryId: string, event: RoleMappingsChanged): Promise<AffectedUsers> {
  const pairs = event.data.mappings.flatMap((m) => m.roles.map((role) => ({ group_id: m.groupId, role_key: role })));
  const { rows } = await tx.query<{ user_id: string }>(
    `WITH wanted AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS (group_id text, role_key text)),
          had AS (SELECT group_id, role_key FROM group_roles WHERE directory_id = $1),
          changed AS ((SELECT * FROM wanted EXCEPT SELECT * FROM had) UNION (SELECT * FROM had EXCEPT SELECT * FROM wanted))
     SELECT DISTINCT m.user_id FROM group_members AS m WHERE m.directory_id = $1 AND m.group_id IN (SELECT group_id FROM changed)`,
    [directoryId, JSON.stringify(pairs)],
  );
  await tx.query('DELETE FROM group_roles WHERE directory_id = $1', [directoryId]);
  if (pairs.length > 0) {
    await tx.query(
      `INSERT INTO group_roles (directory_id, group_id, role_key) SELECT $1, p.group_id, p.role_key FROM jsonb_to_recordset($2::jsonb) AS p(group_id text, role_key text)`,
      [directoryId, JSON.stringify(pairs)],
    );
  }
  const fallback = event.data.defaultRole;
  const { rows: before } = await tx.query<{ default_role: string | null; default_applies_to: string | null }>(
    'SELECT default_role, default_applies_to FROM known_directories WHERE directory_id = $1 FOR UPDATE',
    [directoryId],
  );
  if (before.length === 0) throw new Error(`RoleMappingsChanged for directory ${directoryId}, whose DirectoryCreated was never seen`);
  await tx.query('UPDATE known_directories SET default_role = $2, default_applies_to = $3 WHERE directory_id = $1', [directoryId, fallback?.role ?? null, fallback?.appliesTo ?? null]);
  const defaultChanged = before[0]?.default_role !== (fallback?.role ?? null) || before[0]?.default_applies_to !== (fallback?.appliesTo ?? null);
  return defaultChanged ? { kind: 'all' } : users(...rows.map((r) => r.user_id));
}

/**
 * Re-computes the roles of `affected` users and appends the differences as role events caused by
 * `cause`, in the caller's transaction. Returns how many events were appended.
 */
export async function regrantAndPublish(
  tx: PoolClient,
  store: PostgresEventStore,
  directoryId: string,
  affected: AffectedUsers,
  cause: ProjectedEvent,
  options: { readonly revocationsNameNoGroup?: boolean } = {},
): Promise<number> {
  const changes = await regrant(tx, directoryId, affected, requireTime(cause));
  if (changes.length === 0) return 0;
  const { appended } = await store.appendToStreamsIn(
    tx,
    changes.map((change) => ({ streamId: streamIds.roleGrant(directoryId, change.userId), event: roleEvent(change, cause, directoryId, options.revocationsNameNoGroup === true) })),
  );
  return appended;
}

/**
 * UserRolesResynced for every user of the directory (their whole role set, [] included), on each user's
 * role stream, in the projection's transaction. Ids derive from the resync event and the user, so a
 * replay of that event writes nothing twice.
 */
async function publishRoleResync(tx: PoolClient, store: PostgresEventStore, directoryId: string, resyncId: string, cause: ProjectedEvent): Promise<void> {
  const { rows } = await tx.query<{ user_id: string; roles: { role: string; viaGroupIds: string[] }[] }>(
    `SELECT u.user_id,
            coalesce(jsonb_agg(jsonb_build_object('role', g.role_key, 'viaGroupIds', to_jsonb(g.via_group_ids)) ORDER BY g.role_key)
                       FILTER (WHERE g.role_key IS NOT NULL), '[]'::jsonb) AS roles
       FROM directory_users AS u
       LEFT JOIN role_grants AS g ON g.directory_id = u.directory_id AND g.user_id = u.user_id
      WHERE u.directory_id = $1
      GROUP BY u.user_id
      ORDER BY u.user_id`,
    [directoryId],
  );
  if (rows.length === 0) return;
  const metadata = systemMetadata(cause, directoryId);
  await store.appendToStreamsIn(
    tx,
    rows.map((row) => ({
      streamId: streamIds.roleGrant(directoryId, row.user_id),
      event: {
        id: uuidv5(`${cause.id}:UserRolesResynced:${row.user_id}`, ROLE_EVENT_NAMESPACE),
        type: 'UserRolesResynced',
        schemaVersion: 1,
        data: { userId: row.user_id, resyncId, roles: row.roles },
        metadata: { ...metadata },
      },
    })),
  );
}

/** Metadata of a role event role-assignment emits because of `cause`. */
function systemMetadata(cause: ProjectedEvent, directoryId: string): EventMetadata {
  if (!cause.organizationId) throw new Error(`event ${cause.id} carries no organization id`);
  return { directoryId, organizationId: cause.organizationId, occurredAt: requireTime(cause), correlationId: cause.id, causationId: cause.id, actor: { kind: 'system' } };
}

function requireTime(event: ProjectedEvent): string {
  if (!event.time) throw new Error(`event ${event.id} carries no time`);
  return event.time;
}

/**
 * The role event of one change. Its id is derived from the event that caused it, the user, the role and
 * the kind, so the same cause always yields the same id: a replay cannot publish it twice.
 */
function roleEvent(change: GrantChangeRow, cause: ProjectedEvent, directoryId: string, revokedByDeprovisioning: boolean): NewEvent {
  const type = change.kind === 'assigned' ? 'RoleAssigned' : 'RoleRevoked';
  const metadata = systemMetadata(cause, directoryId);
  return {
    id: uuidv5(`${cause.id}:${type}:${change.userId}:${change.role}`, ROLE_EVENT_NAMESPACE),
    type,
    schemaVersion: 1,
    // A deprovisioned user's revocations name no group (docs/events.md: RoleRevoked).
    data: { userId: change.userId, role: change.role, viaGroupIds: revokedByDeprovisioning && change.kind === 'revoked' ? [] : [...change.via] },
    metadata: { ...metadata },
  };
}
