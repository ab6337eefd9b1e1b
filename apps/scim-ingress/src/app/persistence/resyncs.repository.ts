import type { Pool, PoolClient } from 'pg';
import type { ResourceRow, ResourceType } from './resources.repository';

type Db = Pick<Pool, 'query'> | PoolClient;

export type ResyncPhase = 'Group' | 'User' | 'done';

export interface ResyncRow {
  readonly resyncId: string;
  readonly directoryId: string;
  readonly requestedAt: Date;
  readonly completedAt: Date | null;
  readonly outcome: 'completed' | 'cancelled' | null;
  /** What is sent next: groups (by id), then users, then the Completed event. */
  readonly phase: ResyncPhase;
  /** The last id of `phase` already sent; null at the start of a phase. */
  readonly afterId: string | null;
  readonly userCount: number;
  readonly groupCount: number;
  readonly usersSent: number;
  readonly groupsSent: number;
}

interface DbRow {
  resync_id: string;
  directory_id: string;
  requested_at: Date;
  completed_at: Date | null;
  outcome: 'completed' | 'cancelled' | null;
  phase: ResyncPhase;
  after_id: string | null;
  user_count: number;
  group_count: number;
  users_sent: number;
  groups_sent: number;
}

const COLUMNS = 'resync_id, directory_id, requested_at, completed_at, outcome, phase, after_id, user_count, group_count, users_sent, groups_sent';

const fromRow = (r: DbRow): ResyncRow => ({
  resyncId: r.resync_id,
  directoryId: r.directory_id,
  requestedAt: r.requested_at,
  completedAt: r.completed_at,
  outcome: r.outcome,
  phase: r.phase,
  afterId: r.after_id,
  userCount: r.user_count,
  groupCount: r.group_count,
  usersSent: r.users_sent,
  groupsSent: r.groups_sent,
});

/** Resync progress (`directory_resyncs`): bookkeeping next to the resync streams, written with their events. */
export class ResyncsRepository {
  constructor(private readonly pool: Pool) {}

  /** Locks the directory's row, so two requests cannot both start a resync; returns the one running, if any. */
  async runningFor(client: PoolClient, directoryId: string): Promise<ResyncRow | undefined> {
    await client.query('SELECT 1 FROM directories WHERE id = $1 FOR UPDATE', [directoryId]);
    const { rows } = await client.query<DbRow>(`SELECT ${COLUMNS} FROM directory_resyncs WHERE directory_id = $1 AND completed_at IS NULL`, [directoryId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async anyRunning(directoryId: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM directory_resyncs WHERE directory_id = $1 AND completed_at IS NULL LIMIT 1', [directoryId]);
    return rows.length > 0;
  }

  async counts(client: PoolClient, directoryId: string): Promise<{ users: number; groups: number }> {
    const { rows } = await client.query<{ users: number; groups: number }>(
      `SELECT count(*) FILTER (WHERE resource_type = 'User')::int AS users, count(*) FILTER (WHERE resource_type = 'Group')::int AS groups
         FROM scim_resources WHERE directory_id = $1`,
      [directoryId],
    );
    return rows[0] ?? { users: 0, groups: 0 };
  }

  async insert(client: PoolClient, row: Pick<ResyncRow, 'resyncId' | 'directoryId' | 'requestedAt' | 'userCount' | 'groupCount'>): Promise<void> {
    await client.query(
      `INSERT INTO directory_resyncs (resync_id, directory_id, requested_at, phase, user_count, group_count) VALUES ($1, $2, $3, 'Group', $4, $5)`,
      [row.resyncId, row.directoryId, row.requestedAt, row.userCount, row.groupCount],
    );
  }

  async get(resyncId: string, db: Db = this.pool, options: { lock?: boolean } = {}): Promise<ResyncRow | undefined> {
    const { rows } = await db.query<DbRow>(`SELECT ${COLUMNS} FROM directory_resyncs WHERE resync_id = $1${options.lock ? ' FOR UPDATE' : ''}`, [resyncId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async unfinished(): Promise<string[]> {
    const { rows } = await this.pool.query<{ resync_id: string }>('SELECT resync_id FROM directory_resyncs WHERE completed_at IS NULL ORDER BY requested_at');
    return rows.map((r) => r.resync_id);
  }

  /** The next resources of one type after `afterId`, in id order, each row consistent in itself. */
  async nextResources(client: PoolClient, directoryId: string, type: ResourceType, afterId: string | null, limit: number): Promise<Pick<ResourceRow, 'id' | 'resource' | 'streamVersion'>[]> {
    const { rows } = await client.query<{ id: string; resource: ResourceRow['resource']; stream_version: number }>(
      `SELECT id, resource, stream_version FROM scim_resources
        WHERE directory_id = $1 AND resource_type = $2 AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4`,
      [directoryId, type, afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, resource: r.resource, streamVersion: r.stream_version }));
  }

  async advance(client: PoolClient, resyncId: string, phase: ResyncPhase, afterId: string | null, users: number, groups: number): Promise<void> {
    await client.query('UPDATE directory_resyncs SET phase = $2, after_id = $3, users_sent = users_sent + $4, groups_sent = groups_sent + $5 WHERE resync_id = $1', [
      resyncId,
      phase,
      afterId,
      users,
      groups,
    ]);
  }

  async finish(resyncId: string, outcome: 'completed' | 'cancelled', at: Date, db: Db = this.pool): Promise<void> {
    await db.query(`UPDATE directory_resyncs SET completed_at = $2, outcome = $3, phase = 'done' WHERE resync_id = $1 AND completed_at IS NULL`, [resyncId, at, outcome]);
  }
}
