import { isEventType, topicFor, Topics, type ContractEvent, type GroupCreatedDataV1, type UserStateV1 } from '@scimbridge/contracts';
import type { ApplyContext, ProjectedEvent, Projection } from '@scimbridge/messaging';
import type { PoolClient } from 'pg';
import { countUser, emptyDelta, noteEvent, userColumns, type OverviewDelta } from './read-model.evolve';

/** The projection's name within a generation's schema; its consumer group adds the generation. */
export const READ_MODEL_PROJECTION = 'read-model';

export function readModelProjectionName(generation: number): string {
  return `${READ_MODEL_PROJECTION}-g${generation}`;
}

/**
 * Every read model of the portal from the three public topics: directory overview, Users tab, Groups
 * tab (with mapped roles from scim.role-mapping.events), users' roles (scim.role.events) and the event
 * log. One projection rather than one per tab, because the overview's counters move with the user and
 * group rows and must change in the same transaction; the per-tab SQL is kept in the sections below.
 *
 * Exactly once in effect: the ProjectionRunner skips events at or below a subject's applied version and
 * records progress in the same transaction. Effects that span topics are order-independent (roles and
 * mapped roles are their own tables, joined at query time; the overview's "last event" is the maximum by
 * (time, id)), so a rebuild that interleaves the topics differently ends in the same tables.
 * Serialised per directory: all three topics write the directory's overview row.
 */
export class PortalReadModelProjection implements Projection {
  readonly name: string;
  readonly topics = [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents];
  private readonly setSearchPath: string;
  /** Prepared-statement names are per connection; a generation's own names keep plans per schema. */
  private readonly tag: string;
  /** Only for a generation a rebuild is filling: the event log written ahead of each transaction. */
  readonly applyAhead?: (events: readonly ProjectedEvent[], tx: PoolClient) => Promise<void>;
  /** Rows serialised ahead by prepare(), while the previous transaction was in PostgreSQL. */
  private readonly prepared = new WeakMap<ProjectedEvent, PreparedRows>();

  /**
   * `asyncCommit`: only for a generation a rebuild is filling. Its transactions then commit without
   * waiting for their WAL flush (synchronous_commit off). A crash could lose the last of them while
   * Kafka already has their offsets, but a generation still 'building' is never read, and the next
   * rebuild drops it; the switch-over commits synchronously, which flushes everything before it.
   *
   * `logAhead`: also only for a generation a rebuild is filling. The event log of each chunk is written
   * by applyAhead, on a second connection while the previous chunk's transaction runs (parsing the
   * events' JSON into jsonb is ~a third of a catch-up's database time), so two backends work at once.
   * Nothing reads the event-log rows before the switch-over but the users and groups inserts of their
   * own chunk's transaction, which starts after they committed.
   */
  constructor(
    readonly generation: number,
    readonly schema: string,
    private readonly onApplied?: (events: readonly ProjectedEvent[]) => void,
    options: { readonly asyncCommit?: boolean; readonly logAhead?: boolean } = {},
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema ${schema}`);
    this.name = readModelProjectionName(generation);
    this.setSearchPath = `SET LOCAL search_path TO "${schema}", public${options.asyncCommit ? '; SET LOCAL synchronous_commit TO off' : ''}`;
    this.tag = `pq${generation}`;
    if (options.logAhead) this.applyAhead = (events, tx) => this.logAhead(events, tx);
  }

  serializationKey(event: ProjectedEvent): string | undefined {
    return event.directoryId;
  }

  /**
   * The JSON of each event's event-log row, and of its users or groups row for the runs applied in one
   * statement: ~7% of a catch-up's time when serialised inside the transaction.
   */
  prepare(events: readonly ProjectedEvent[]): void {
    for (const e of events) {
      if (!e.directoryId || !e.time) continue;
      this.prepared.set(e, {
        log: JSON.stringify(logRow(e)),
        row: e.type === 'UserProvisioned' ? JSON.stringify(newUserRow(e)) : e.type === 'GroupCreated' ? JSON.stringify(newGroupRow(e)) : undefined,
      });
    }
  }

  /** A JSON array of the events' rows: the prepared ones as prepared, the others serialised now. */
  private rowsJson(events: readonly ProjectedEvent[], which: keyof PreparedRows, build: (e: ProjectedEvent) => object): string {
    return `[${events.map((e) => this.prepared.get(e)?.[which] ?? JSON.stringify(build(e))).join(',')}]`;
  }

  afterCommit(applied: readonly ProjectedEvent[]): void {
    this.onApplied?.(applied);
  }

  async applyBatch(events: readonly ProjectedEvent[], tx: PoolClient, context?: ApplyContext): Promise<void> {
    // The generation's tables by their plain names, for this transaction only.
    await tx.query(this.setSearchPath);
    await this.ensureDirectories(events, tx);
    if (!context?.aheadCommitted) await this.appendToLog(events, tx);
    const deltas = new Map<string, OverviewDelta>();
    const deltaOf = (directoryId: string): OverviewDelta => {
      let d = deltas.get(directoryId);
      if (!d) deltas.set(directoryId, (d = emptyDelta()));
      return d;
    };
    // Runs of one type that set-based statements apply at once: the bulk of a sync and of a catch-up
    // (new users; groups; an IdP's bulk change of users). A single event of a type takes applyOne.
    const runs: Partial<Record<string, (run: readonly ProjectedEvent[]) => Promise<void>>> = {
      UserProvisioned: (run) => this.provisionUsers(run, tx, deltaOf),
      GroupCreated: (run) => this.createGroups(run, tx, deltaOf),
      UserUpdated: (run) => this.updateUsers(run, tx, deltaOf),
    };
    let i = 0;
    while (i < events.length) {
      const first = events[i] as ProjectedEvent;
      const applyRun = runs[first.type];
      let j = i + 1;
      while (applyRun && j < events.length && (events[j] as ProjectedEvent).type === first.type) j += 1;
      if (applyRun && j - i > 1) {
        await applyRun(events.slice(i, j));
        i = j;
        continue;
      }
      await this.applyOne(first, tx, deltaOf(requireDirectory(first)));
      i += 1;
    }
    for (const e of events) noteEvent(deltaOf(requireDirectory(e)), { id: e.id, type: e.type, time: requireTime(e) });
    await this.flushOverview(deltas, tx);
  }

  // ── directory overview ─────────────────────────────────────────────────────────────────────────

  /** Any topic may bring a directory first (its role events are on their own partitions). */
  private async ensureDirectories(events: readonly ProjectedEvent[], tx: PoolClient): Promise<void> {
    const byDirectory = new Map<string, string>();
    for (const e of events) {
      const directoryId = requireDirectory(e);
      if (!e.organizationId) throw new Error(`event ${e.id} carries no organization id`);
      byDirectory.set(directoryId, e.organizationId);
    }
    await tx.query({
      name: `${this.tag}_ensure_directories`,
      text: `INSERT INTO directories (directory_id, organization_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ORDER BY 1 ON CONFLICT (directory_id) DO NOTHING`,
      values: [[...byDirectory.keys()], [...byDirectory.values()]],
    });
  }

  private async flushOverview(deltas: ReadonlyMap<string, OverviewDelta>, tx: PoolClient): Promise<void> {
    const rows = [...deltas].map(([directoryId, d]) => ({
      directory_id: directoryId,
      users_active: d.usersActive,
      users_inactive: d.usersInactive,
      groups: d.groups,
      first_sync_at: d.firstSyncAt,
      last_sync_at: d.lastSyncAt,
      last_event_at: d.lastEvent?.at ?? null,
      last_event_id: d.lastEvent?.id ?? null,
      last_event_type: d.lastEvent?.type ?? null,
    }));
    await tx.query({
      name: `${this.tag}_overview`,
      text: `UPDATE directories AS d SET
               users_active = d.users_active + t.users_active,
               users_inactive = d.users_inactive + t.users_inactive,
               groups = d.groups + t.groups,
               first_sync_at = LEAST(d.first_sync_at, t.first_sync_at),
               last_sync_at = GREATEST(d.last_sync_at, t.last_sync_at),
               last_event_at = CASE WHEN newer THEN t.last_event_at ELSE d.last_event_at END,
               last_event_id = CASE WHEN newer THEN t.last_event_id ELSE d.last_event_id END,
               last_event_type = CASE WHEN newer THEN t.last_event_type ELSE d.last_event_type END
             FROM (SELECT r.*, (r.last_event_at, r.last_event_id) > (coalesce(o.last_event_at, '-infinity'), coalesce(o.last_event_id, '00000000-0000-0000-0000-000000000000'))
                          AND r.last_event_at IS NOT NULL AS newer
                     FROM jsonb_to_recordset($1::jsonb) AS r(directory_id uuid, users_active int, users_inactive int, groups int, first_sync_at timestamptz,
                                                             last_sync_at timestamptz, last_event_at timestamptz, last_event_id uuid, last_event_type text)
                     JOIN directories AS o ON o.directory_id = r.directory_id) AS t
            WHERE d.directory_id = t.directory_id`,
      values: [JSON.stringify(rows)],
    });
  }

  // ── event log ──────────────────────────────────────────────────────────────────────────────────

  private async appendToLog(events: readonly ProjectedEvent[], tx: PoolClient): Promise<void> {
    await tx.query({
      name: `${this.tag}_log`,
      text: `INSERT INTO event_log (directory_id, event_id, occurred_at, type, topic, subject, sequence, data)
             SELECT directory_id, event_id, occurred_at, type, topic, subject, sequence, data
               FROM jsonb_to_recordset($1::jsonb) AS r(directory_id uuid, event_id uuid, occurred_at timestamptz, type text, topic text, subject text, sequence int, data jsonb)
              -- Nothing more is logged for a deleted directory (its last RoleRevoked may come after DirectoryDeleted).
              WHERE NOT EXISTS (SELECT 1 FROM directories AS d WHERE d.directory_id = r.directory_id AND d.deleted_at IS NOT NULL)
             ON CONFLICT (directory_id, event_id) DO NOTHING`,
      values: [this.rowsJson(events, 'log', logRow)],
    });
  }

  /**
   * The event log of a chunk, committed before the chunk's own transaction (applyAhead). The same
   * statement as appendToLog, so the same rows whether or not this ran. One race needs a lock: a
   * deletion of one of these directories in a transaction still running (the previous chunk's, or
   * another partition's) — its tombstone is not visible yet, and its DELETE may or may not see rows
   * committed meanwhile. So this takes each directory's deletion lock shared, which deleteDirectory
   * takes exclusively: this then either commits before the deletion deletes, or runs after its tombstone.
   */
  private async logAhead(events: readonly ProjectedEvent[], tx: PoolClient): Promise<void> {
    await tx.query(this.setSearchPath);
    const directories = [...new Set(events.map(requireDirectory))].sort();
    await tx.query({
      name: `${this.tag}_deletion_locks_shared`,
      text: `SELECT count(pg_advisory_xact_lock_shared(hashtextextended('portal-query deletion ' || d, 0))) FROM unnest($1::text[]) AS d`,
      values: [directories],
    });
    await this.appendToLog(events, tx);
  }

  // ── one event ──────────────────────────────────────────────────────────────────────────────────

  private async applyOne(projected: ProjectedEvent, tx: PoolClient, delta: OverviewDelta): Promise<void> {
    const directoryId = requireDirectory(projected);
    const time = requireTime(projected);
    // The contracts decoder has validated data against this type's latest schema.
    const event = { type: projected.type, data: projected.data } as ContractEvent;
    switch (event.type) {
      case 'DirectoryCreated':
        await tx.query({
          name: `${this.tag}_directory_created`,
          text: 'UPDATE directories SET organization_id = $2, provider = $3, name = $4, created_at = $5 WHERE directory_id = $1',
          values: [directoryId, event.data.organizationId, event.data.provider, event.data.name, time],
        });
        return;
      case 'DirectoryEnabled':
      case 'DirectoryDisabled':
        await tx.query({
          name: `${this.tag}_directory_enabled`,
          text: 'UPDATE directories SET enabled = $2 WHERE directory_id = $1',
          values: [directoryId, event.type === 'DirectoryEnabled'],
        });
        return;
      case 'DirectoryTokenIssued':
      case 'DirectoryTokenRevoked':
        // In the event log only: tokens and their use are the ingress's (see the overview service).
        return;
      case 'DirectoryDeleted':
        return this.deleteDirectory(directoryId, time, tx, delta);
      case 'DirectoryResyncStarted':
      case 'UserResynced':
      case 'GroupResynced':
      case 'DirectoryResyncCompleted':
        // In the event log only: a resync re-sends state these tables already have from the same stream.
        return;
      case 'UserProvisioned':
      case 'UserUpdated':
        return this.upsertUser(directoryId, event.data, event.type, time, tx, delta);
      case 'UserDeactivated':
      case 'UserReactivated': {
        const active = event.type === 'UserReactivated';
        const { rows } = await tx.query<{ was: boolean }>({
          name: `${this.tag}_user_active`,
          text: `WITH prev AS (SELECT active FROM users WHERE directory_id = $1 AND user_id = $2)
                 UPDATE users AS u SET active = $3, attributes = jsonb_set(u.attributes, '{active}', to_jsonb($3::boolean)),
                        updated_at = $4, last_event_type = $5, last_event_at = $4
                   FROM prev WHERE u.directory_id = $1 AND u.user_id = $2
                 RETURNING prev.active AS was`,
          values: [directoryId, event.data.userId, active, time, event.type],
        });
        if (rows[0]) countUser(delta, rows[0].was, active);
        return;
      }
      case 'UserDeprovisioned': {
        await tx.query({
          name: `${this.tag}_user_leaves_groups`,
          text: `WITH gone AS (DELETE FROM memberships WHERE directory_id = $1 AND user_id = $2 RETURNING group_id)
                 UPDATE groups AS g SET member_count = g.member_count - 1 FROM gone WHERE g.directory_id = $1 AND g.group_id = gone.group_id`,
          values: [directoryId, event.data.userId],
        });
        const { rows } = await tx.query<{ active: boolean }>({
          name: `${this.tag}_user_delete`,
          text: 'DELETE FROM users WHERE directory_id = $1 AND user_id = $2 RETURNING active',
          values: [directoryId, event.data.userId],
        });
        if (rows[0]) countUser(delta, rows[0].active, undefined);
        return;
      }
      case 'GroupCreated': {
        const { rows } = await tx.query<{ inserted: boolean }>({
          name: `${this.tag}_group_upsert`,
          text: `INSERT INTO groups (directory_id, group_id, external_id, display_name, attributes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (directory_id, group_id) DO UPDATE SET external_id = EXCLUDED.external_id, display_name = EXCLUDED.display_name,
                        attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at
                 RETURNING (xmax = 0) AS inserted`,
          values: [directoryId, event.data.groupId, event.data.externalId, event.data.displayName, JSON.stringify(event.data.resource), time],
        });
        if (rows[0]?.inserted) delta.groups += 1;
        await this.addMembers(directoryId, event.data.groupId, event.data.memberIds, tx);
        return;
      }
      case 'GroupUpdated':
        await tx.query({
          name: `${this.tag}_group_update`,
          text: 'UPDATE groups SET external_id = $3, display_name = $4, attributes = $5, updated_at = $6 WHERE directory_id = $1 AND group_id = $2',
          values: [directoryId, event.data.groupId, event.data.externalId, event.data.displayName, JSON.stringify(event.data.resource), time],
        });
        return;
      case 'GroupDeleted': {
        await tx.query({ name: `${this.tag}_group_members_delete`, text: 'DELETE FROM memberships WHERE directory_id = $1 AND group_id = $2', values: [directoryId, event.data.groupId] });
        const { rowCount } = await tx.query({ name: `${this.tag}_group_delete`, text: 'DELETE FROM groups WHERE directory_id = $1 AND group_id = $2', values: [directoryId, event.data.groupId] });
        if (rowCount) delta.groups -= 1;
        return;
      }
      case 'GroupMembershipChanged':
        await this.addMembers(directoryId, event.data.groupId, event.data.added, tx);
        await this.removeMembers(directoryId, event.data.groupId, event.data.removed, tx);
        await tx.query({ name: `${this.tag}_group_touch`, text: 'UPDATE groups SET updated_at = $3 WHERE directory_id = $1 AND group_id = $2', values: [directoryId, event.data.groupId, time] });
        return;
      case 'RoleMappingsChanged': {
        if (await this.isDeleted(directoryId, tx)) return;
        const pairs = event.data.mappings.flatMap((m) => m.roles.map((role) => ({ group_id: m.groupId, role })));
        await tx.query({ name: `${this.tag}_group_roles_clear`, text: 'DELETE FROM group_roles WHERE directory_id = $1', values: [directoryId] });
        await tx.query({
          name: `${this.tag}_group_roles_set`,
          text: `INSERT INTO group_roles (directory_id, group_id, role) SELECT DISTINCT $1::uuid, p.group_id, p.role FROM jsonb_to_recordset($2::jsonb) AS p(group_id text, role text)`,
          values: [directoryId, JSON.stringify(pairs)],
        });
        await tx.query({
          name: `${this.tag}_default_role`,
          text: 'UPDATE directories SET default_role = $2, default_role_applies_to = $3 WHERE directory_id = $1',
          values: [directoryId, event.data.defaultRole?.role ?? null, event.data.defaultRole?.appliesTo ?? null],
        });
        return;
      }
      case 'RoleAssigned':
        // A role event of a deleted directory (its topic is not ordered with DirectoryDeleted's: a rebuild
        // may apply it after the deletion) changes nothing, so replay and live end in the same tables.
        if (await this.isDeleted(directoryId, tx)) return;
        // The first grant's time stays; a re-grant (other groups now grant it) updates the groups.
        await tx.query({
          name: `${this.tag}_role_assigned`,
          text: `INSERT INTO user_roles (directory_id, user_id, role, via_group_ids, granted_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (directory_id, user_id, role) DO UPDATE SET via_group_ids = EXCLUDED.via_group_ids`,
          values: [directoryId, event.data.userId, event.data.role, [...event.data.viaGroupIds], time],
        });
        return;
      case 'UserRolesResynced':
        // The set the user's role stream already led to here (it is on that stream, in order).
        return;
      case 'RoleRevoked':
        await tx.query({
          name: `${this.tag}_role_revoked`,
          text: 'DELETE FROM user_roles WHERE directory_id = $1 AND user_id = $2 AND role = $3',
          values: [directoryId, event.data.userId, event.data.role],
        });
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  /**
   * The directory's users, groups, roles and log go; its overview row stays as a tombstone (deleted_at)
   * so that its events still to come on other topics do not bring it back, and queries answer 404.
   */
  private async deleteDirectory(directoryId: string, time: string, tx: PoolClient, delta: OverviewDelta): Promise<void> {
    // Waits for the event-log writes ahead (logAhead) of this directory that are in flight.
    await tx.query({
      name: `${this.tag}_deletion_lock`,
      text: `SELECT pg_advisory_xact_lock(hashtextextended('portal-query deletion ' || $1::text, 0))`,
      values: [directoryId],
    });
    for (const table of ['memberships', 'group_roles', 'user_roles', 'users', 'groups', 'event_log'] as const) {
      await tx.query({ name: `${this.tag}_directory_delete_${table}`, text: `DELETE FROM ${table} WHERE directory_id = $1`, values: [directoryId] });
    }
    await tx.query({
      name: `${this.tag}_directory_tombstone`,
      text: `UPDATE directories SET deleted_at = $2, enabled = false, users_active = 0, users_inactive = 0, groups = 0, default_role = NULL, default_role_applies_to = NULL
              WHERE directory_id = $1`,
      values: [directoryId, time],
    });
    // The counters are zero now: what this batch counted before the deletion must not be added to them.
    delta.usersActive = 0;
    delta.usersInactive = 0;
    delta.groups = 0;
  }

  private async isDeleted(directoryId: string, tx: PoolClient): Promise<boolean> {
    const { rows } = await tx.query<{ deleted: boolean }>({
      name: `${this.tag}_directory_deleted`,
      text: 'SELECT deleted_at IS NOT NULL AS deleted FROM directories WHERE directory_id = $1',
      values: [directoryId],
    });
    return rows[0]?.deleted === true;
  }

  // ── users tab ──────────────────────────────────────────────────────────────────────────────────

  /**
   * New users in one statement; one that already exists (never in a sane history) takes the upsert path.
   * The users' documents (`attributes` = data.resource, `emails` = data.emails) are read from the event
   * log rows this transaction has just written (appendToLog) instead of being sent a second time: they
   * are most of an event's bytes, and sending and parsing them twice was a quarter of a catch-up's
   * time. An event the log did not take (its directory is deleted) finds no row and goes the upsert path.
   */
  private async provisionUsers(events: readonly ProjectedEvent[], tx: PoolClient, deltaOf: (directoryId: string) => OverviewDelta): Promise<void> {
    const { rows: inserted } = await tx.query<{ directory_id: string; user_id: string; active: boolean }>({
      name: `${this.tag}_users_insert`,
      text: `INSERT INTO users (directory_id, user_id, external_id, user_name, display_name, given_name, family_name, primary_email, active, department, title,
                                emails, attributes, created_at, updated_at, last_event_type, last_event_at)
             SELECT r.directory_id, r.user_id, r.external_id, r.user_name, r.display_name, r.given_name, r.family_name, r.primary_email, r.active, r.department,
                    r.title, l.data -> 'emails', l.data -> 'resource', r.at, r.at, 'UserProvisioned', r.at
               FROM jsonb_to_recordset($1::jsonb) AS r(directory_id uuid, event_id uuid, user_id text, external_id text, user_name text, display_name text, given_name text,
                                                       family_name text, primary_email text, active boolean, department text, title text, at timestamptz)
               JOIN event_log AS l ON l.directory_id = r.directory_id AND l.event_id = r.event_id
             ON CONFLICT (directory_id, user_id) DO NOTHING
             RETURNING directory_id, user_id, active`,
      values: [this.rowsJson(events, 'row', newUserRow)],
    });
    const done = new Set(inserted.map((r) => `${r.directory_id}/${r.user_id}`));
    for (const r of inserted) countUser(deltaOf(r.directory_id), undefined, r.active);
    for (const e of events) {
      const state = e.data as UserStateV1;
      const directoryId = requireDirectory(e);
      if (!done.has(`${directoryId}/${state.userId}`)) await this.upsertUser(directoryId, state, 'UserProvisioned', requireTime(e), tx, deltaOf(directoryId));
    }
  }

  /**
   * A run of UserUpdated in one upsert, with the effect of applying them one by one: a user's row takes
   * its last state (each event carries the whole state), `created_at` its first event's time (used only
   * if the row is missing), and the overview counts the change from the row's state before the run to
   * the last one (the steps in between cancel out). Documents come from the event log, as for new users;
   * a user whose events the log did not take (deleted directory) is applied event by event instead.
   */
  private async updateUsers(events: readonly ProjectedEvent[], tx: PoolClient, deltaOf: (directoryId: string) => OverviewDelta): Promise<void> {
    const byUser = new Map<string, { last: ProjectedEvent; readonly firstAt: string; readonly all: ProjectedEvent[] }>();
    for (const e of events) {
      const key = `${requireDirectory(e)}/${(e.data as UserStateV1).userId}`;
      const before = byUser.get(key);
      if (before) {
        before.last = e;
        before.all.push(e);
      } else byUser.set(key, { last: e, firstAt: requireTime(e), all: [e] });
    }
    const rows = [...byUser.values()].map(({ last, firstAt }) => {
      const { emails: _emails, attributes: _attributes, ...columns } = userColumns(last.data as UserStateV1);
      return { ...columns, directory_id: requireDirectory(last), event_id: last.id, created_at: firstAt, at: requireTime(last) };
    });
    const { rows: written } = await tx.query<{ directory_id: string; user_id: string; active: boolean; was: boolean | null }>({
      name: `${this.tag}_users_update`,
      text: `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(directory_id uuid, event_id uuid, user_id text, external_id text, user_name text, display_name text,
                                                                    given_name text, family_name text, primary_email text, active boolean, department text,
                                                                    title text, created_at timestamptz, at timestamptz)),
                  prev AS (SELECT u.directory_id, u.user_id, u.active FROM users AS u JOIN r ON u.directory_id = r.directory_id AND u.user_id = r.user_id)
             INSERT INTO users AS t (directory_id, user_id, external_id, user_name, display_name, given_name, family_name, primary_email, active, department, title,
                                     emails, attributes, created_at, updated_at, last_event_type, last_event_at)
             SELECT r.directory_id, r.user_id, r.external_id, r.user_name, r.display_name, r.given_name, r.family_name, r.primary_email, r.active, r.department,
                    r.title, l.data -> 'emails', l.data -> 'resource', r.created_at, r.at, 'UserUpdated', r.at
               FROM r JOIN event_log AS l ON l.directory_id = r.directory_id AND l.event_id = r.event_id
             ON CONFLICT (directory_id, user_id) DO UPDATE SET external_id = EXCLUDED.external_id, user_name = EXCLUDED.user_name,
                    display_name = EXCLUDED.display_name, given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
                    primary_email = EXCLUDED.primary_email, active = EXCLUDED.active, department = EXCLUDED.department, title = EXCLUDED.title,
                    emails = EXCLUDED.emails, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at,
                    last_event_type = EXCLUDED.last_event_type, last_event_at = EXCLUDED.last_event_at
             RETURNING t.directory_id, t.user_id, t.active, (SELECT p.active FROM prev AS p WHERE p.directory_id = t.directory_id AND p.user_id = t.user_id) AS was`,
      values: [JSON.stringify(rows)],
    });
    const done = new Set<string>();
    for (const r of written) {
      done.add(`${r.directory_id}/${r.user_id}`);
      countUser(deltaOf(r.directory_id), r.was ?? undefined, r.active);
    }
    for (const [key, { all }] of byUser) {
      if (done.has(key)) continue;
      for (const e of all) await this.upsertUser(requireDirectory(e), e.data as UserStateV1, 'UserUpdated', requireTime(e), tx, deltaOf(requireDirectory(e)));
    }
  }

  /**
   * `prev` reads the row as the statement's snapshot saw it, before the upsert (no FOR UPDATE: a locking
   * read evaluated after this command updated the row skips it). Writers of one directory are
   * serialised by the runner (serializationKey), so nothing else changes the row in between.
   */
  private async upsertUser(directoryId: string, state: UserStateV1, type: string, time: string, tx: PoolClient, delta: OverviewDelta): Promise<void> {
    const c = userColumns(state);
    const { rows } = await tx.query<{ was: boolean | null }>({
      name: `${this.tag}_user_upsert`,
      text: `WITH prev AS (SELECT active FROM users WHERE directory_id = $1 AND user_id = $2)
             INSERT INTO users (directory_id, user_id, external_id, user_name, display_name, given_name, family_name, primary_email, active, department, title,
                                emails, attributes, created_at, updated_at, last_event_type, last_event_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $14)
             ON CONFLICT (directory_id, user_id) DO UPDATE SET external_id = EXCLUDED.external_id, user_name = EXCLUDED.user_name,
                    display_name = EXCLUDED.display_name, given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
                    primary_email = EXCLUDED.primary_email, active = EXCLUDED.active, department = EXCLUDED.department, title = EXCLUDED.title,
                    emails = EXCLUDED.emails, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at,
                    last_event_type = EXCLUDED.last_event_type, last_event_at = EXCLUDED.last_event_at
             RETURNING (SELECT active FROM prev) AS was`,
      values: [
        directoryId,
        c.user_id,
        c.external_id,
        c.user_name,
        c.display_name,
        c.given_name,
        c.family_name,
        c.primary_email,
        c.active,
        c.department,
        c.title,
        JSON.stringify(c.emails),
        JSON.stringify(c.attributes),
        time,
        type,
      ],
    });
    countUser(delta, rows[0]?.was ?? undefined, c.active);
  }

  // ── groups tab ─────────────────────────────────────────────────────────────────────────────────

  /**
   * A run of GroupCreated in one statement: the groups, their members and member counts, with the
   * documents (`attributes`, the member ids) read from the event-log rows just written, as for users. A
   * group already there (never in a sane history) or one the log did not take (deleted directory), and
   * a run naming one group twice, are applied event by event instead, so the effect is exactly that.
   */
  private async createGroups(events: readonly ProjectedEvent[], tx: PoolClient, deltaOf: (directoryId: string) => OverviewDelta): Promise<void> {
    const keyOf = (e: ProjectedEvent): string => `${requireDirectory(e)}/${(e.data as GroupCreatedDataV1).groupId}`;
    if (new Set(events.map(keyOf)).size < events.length) {
      for (const e of events) await this.applyOne(e, tx, deltaOf(requireDirectory(e)));
      return;
    }
    // Sibling CTEs do not see each other's rows, so a new group's member count is counted from its ids
    // (a new group has no membership rows yet: its memberships are on its own stream, after this event).
    const { rows: inserted } = await tx.query<{ directory_id: string; group_id: string }>({
      name: `${this.tag}_groups_insert`,
      text: `WITH r AS (SELECT r.directory_id, r.group_id, r.external_id, r.display_name, r.at, l.data -> 'resource' AS resource, l.data -> 'memberIds' AS member_ids
                          FROM jsonb_to_recordset($1::jsonb) AS r(directory_id uuid, event_id uuid, group_id text, external_id text, display_name text, at timestamptz)
                          JOIN event_log AS l ON l.directory_id = r.directory_id AND l.event_id = r.event_id),
                  g AS (INSERT INTO groups (directory_id, group_id, external_id, display_name, attributes, member_count, created_at, updated_at)
                        SELECT directory_id, group_id, external_id, display_name, resource,
                               (SELECT count(DISTINCT m) FROM jsonb_array_elements_text(member_ids) AS m), at, at
                          FROM r
                        ON CONFLICT (directory_id, group_id) DO NOTHING
                        RETURNING directory_id, group_id),
                  m AS (INSERT INTO memberships (directory_id, group_id, user_id)
                        SELECT r.directory_id, r.group_id, m FROM r JOIN g ON g.directory_id = r.directory_id AND g.group_id = r.group_id,
                               jsonb_array_elements_text(r.member_ids) AS m
                        ON CONFLICT DO NOTHING)
             SELECT directory_id, group_id FROM g`,
      values: [this.rowsJson(events, 'row', newGroupRow)],
    });
    const done = new Set(inserted.map((r) => `${r.directory_id}/${r.group_id}`));
    for (const r of inserted) deltaOf(r.directory_id).groups += 1;
    for (const e of events) if (!done.has(keyOf(e))) await this.applyOne(e, tx, deltaOf(requireDirectory(e)));
  }

  private async addMembers(directoryId: string, groupId: string, userIds: readonly string[], tx: PoolClient): Promise<void> {
    if (userIds.length === 0) return;
    await tx.query({
      name: `${this.tag}_members_add`,
      text: `WITH added AS (INSERT INTO memberships (directory_id, group_id, user_id) SELECT $1, $2, u FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING RETURNING 1)
             UPDATE groups SET member_count = member_count + (SELECT count(*) FROM added) WHERE directory_id = $1 AND group_id = $2`,
      values: [directoryId, groupId, [...userIds]],
    });
  }

  private async removeMembers(directoryId: string, groupId: string, userIds: readonly string[], tx: PoolClient): Promise<void> {
    if (userIds.length === 0) return;
    await tx.query({
      name: `${this.tag}_members_remove`,
      text: `WITH removed AS (DELETE FROM memberships WHERE directory_id = $1 AND group_id = $2 AND user_id = ANY($3::text[]) RETURNING 1)
             UPDATE groups SET member_count = member_count - (SELECT count(*) FROM removed) WHERE directory_id = $1 AND group_id = $2`,
      values: [directoryId, groupId, [...userIds]],
    });
  }
}

interface PreparedRows {
  readonly log: string;
  /** The users row of a UserProvisioned, the groups row of a GroupCreated. */
  readonly row: string | undefined;
}

/** An event's event-log row (appendToLog's recordset). */
function logRow(e: ProjectedEvent): object {
  return {
    directory_id: requireDirectory(e),
    event_id: e.id,
    occurred_at: requireTime(e),
    type: e.type,
    topic: isEventType(e.type) ? topicFor(e.type) : 'unknown',
    subject: e.subject,
    sequence: e.sequence,
    data: e.data,
  };
}

/** A UserProvisioned's users row without its documents (provisionUsers reads those from the event log). */
function newUserRow(e: ProjectedEvent): object {
  const { emails: _emails, attributes: _attributes, ...columns } = userColumns(e.data as UserStateV1);
  return { ...columns, directory_id: requireDirectory(e), event_id: e.id, at: requireTime(e) };
}

/** A GroupCreated's groups row without its documents (createGroups reads those from the event log). */
function newGroupRow(e: ProjectedEvent): object {
  const g = e.data as GroupCreatedDataV1;
  return { directory_id: requireDirectory(e), event_id: e.id, group_id: g.groupId, external_id: g.externalId, display_name: g.displayName, at: requireTime(e) };
}

function requireDirectory(event: ProjectedEvent): string {
  if (!event.directoryId) throw new Error(`event ${event.id} carries no directory id`);
  return event.directoryId;
}

function requireTime(event: ProjectedEvent): string {
  if (!event.time) throw new Error(`event ${event.id} carries no time`);
  return event.time;
}
