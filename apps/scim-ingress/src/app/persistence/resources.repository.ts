import { compileListQuery, type FilterNode, type JsonObject, type ListQuery, ScimError } from '@scimbridge/scim';
import type { CompanionStatement } from '@scimbridge/event-store';
import type { Pool, PoolClient } from 'pg';

export type ResourceType = 'User' | 'Group';
type Db = Pick<Pool, 'query'> | PoolClient;

/** One resource of a directory. */
export interface ResourceKey {
  readonly directoryId: string;
  readonly id: string;
}

/** A user's membership of a group. */
export interface Membership {
  readonly directoryId: string;
  readonly groupId: string;
  readonly userId: string;
}

export interface ResourceRow {
  readonly directoryId: string;
  readonly resourceType: ResourceType;
  readonly id: string;
  readonly resource: JsonObject;
  readonly unknownAttributes: JsonObject | null;
  /** meta.version: +1 per request that changed the resource. */
  readonly revision: number;
  /** The event stream's version (expected version of the next append). */
  readonly streamVersion: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface Row {
  directory_id: string;
  resource_type: ResourceType;
  id: string;
  resource: JsonObject;
  unknown_attributes: JsonObject | null;
  revision: number;
  stream_version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'directory_id, resource_type, id, resource, unknown_attributes, revision, stream_version, created_at, updated_at';
const UNIQUE_VIOLATION = '23505';
/**
 * The fence between creates and a directory's deletion: a create inserts nothing once the directory's
 * deletion was requested (and its events are appended only with the row). The deletion job starts a
 * grace period after the request, so a create statement that began before the request has committed by
 * then and the job deletes what it created; one that begins after it sees the request. Without this, a
 * create authenticated just before the request on another replica could land after DirectoryDeleted.
 * Updates and deletes need no fence: the job deletes the rows, and they then find nothing (404).
 */
const NOT_BEING_DELETED = (directoryId: string): string =>
  `NOT EXISTS (SELECT 1 FROM directories AS fence WHERE fence.id = ${directoryId} AND fence.deletion_requested_at IS NOT NULL)`;

/** The per-resource queue of `lock` and `queue` ($1 directory, $2 type, $3 id): one key for both. */
const QUEUE_LOCK = `pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))`;

const fromRow = (r: Row): ResourceRow => ({
  directoryId: r.directory_id,
  resourceType: r.resource_type,
  id: r.id,
  resource: r.resource,
  unknownAttributes: r.unknown_attributes,
  revision: r.revision,
  streamVersion: r.stream_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** userName for users, displayName for groups: unique per directory, case-insensitively. */
export function uniqueKeyOf(type: ResourceType, resource: Record<string, unknown>): string {
  const value = resource[type === 'User' ? 'userName' : 'displayName'];
  if (typeof value !== 'string' || value === '') {
    throw ScimError.invalidValue(`${type === 'User' ? 'userName' : 'displayName'} is required`);
  }
  return value.toLowerCase();
}

/**
 * The ingress's current SCIM state (`scim_resources`, `group_members`). Writes take the caller's
 * transaction client so they commit with the events.
 */
export class ResourcesRepository {
  constructor(private readonly pool: Pool) {}

  async get(directoryId: string, type: ResourceType, id: string): Promise<ResourceRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM scim_resources WHERE directory_id = $1 AND resource_type = $2 AND id = $3`,
      [directoryId, type, id],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /**
   * The row, locked until the transaction ends: writers to one resource queue up instead of racing.
   *
   * The queue is an advisory lock on the resource, taken (in the same statement) before the row lock:
   * waiting for it does not give the transaction an id, so writers of one resource get their ids in
   * the order they get the lock, and their events are in stream order for readers that go by
   * transaction id (the event store refuses an append that would break that, see appendStatement).
   * A FOR UPDATE wait alone can hand out ids before the lock is granted, in another order.
   */
  async lock(client: PoolClient, directoryId: string, type: ResourceType, id: string): Promise<ResourceRow | undefined> {
    // (pg_advisory_xact_lock is re-entrant: a resource already queued on by `queue` is not waited for twice.)
    const { rows } = await client.query<Row>({
      name: 'scim_resources_lock',
      text: `SELECT ${COLUMNS} FROM ${QUEUE_LOCK} AS queued,
                    scim_resources WHERE directory_id = $1 AND resource_type = $2 AND id = $3 FOR UPDATE OF scim_resources`,
      values: [directoryId, type, id],
    });
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Only the advisory lock of `lock`: queues behind the resource's writers without a row lock or a transaction id. */
  async queue(client: PoolClient, directoryId: string, type: ResourceType, id: string): Promise<void> {
    await client.query({ name: 'scim_resources_queue', text: `SELECT ${QUEUE_LOCK}`, values: [directoryId, type, id] });
  }

  /** Up to `limit` ids of the directory's resources of one type, unlocked (a bulk job's next chunk). */
  async someIds(directoryId: string, type: ResourceType, limit: number, db: Db = this.pool): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM scim_resources WHERE directory_id = $1 AND resource_type = $2 ORDER BY id LIMIT $3', [
      directoryId,
      type,
      limit,
    ]);
    return rows.map((r) => r.id);
  }

  /**
   * `lock` for many resources of one type: queued on each (in id order, so two bulk jobs do not
   * deadlock each other), then the rows that still exist, locked. Call before the transaction's first
   * write, as `lock` requires.
   */
  async lockMany(client: PoolClient, directoryId: string, type: ResourceType, ids: readonly string[]): Promise<ResourceRow[]> {
    return this.lockAcross(client, type, ids.map((id) => ({ directoryId, id })));
  }

  /**
   * `lockMany` across directories (a batch of group writes of several IdPs): queued on each resource
   * in (directory, id) order — every multi-resource locker uses that order, so they cannot deadlock
   * each other — then the rows that exist, locked. Call before the transaction's first write.
   */
  async lockAcross(client: PoolClient, type: ResourceType, keys: readonly ResourceKey[]): Promise<ResourceRow[]> {
    if (keys.length === 0) return [];
    const directories = keys.map((k) => k.directoryId);
    const ids = keys.map((k) => k.id);
    // One statement: the aggregate queues on every resource before any row comes out of the join, and
    // FOR UPDATE locks rows only as they come out (and, in READ COMMITTED, re-reads a row that a writer
    // we waited for changed), as `lock` does for one resource.
    const { rows } = await client.query<Row>({
      name: 'scim_resources_lock_across',
      text: `WITH keys AS (SELECT DISTINCT d, id FROM unnest($2::text[], $3::text[]) AS u(d, id)),
                  queued AS (SELECT count(pg_advisory_xact_lock(hashtextextended(q.d || '/' || $1 || '/' || q.id, 0))) AS n
                               FROM (SELECT d, id FROM keys ORDER BY d, id) AS q)
             SELECT ${prefixed('r')} FROM queued, keys AS k
               JOIN scim_resources AS r ON r.directory_id = k.d AND r.resource_type = $1 AND r.id = k.id
              ORDER BY r.directory_id, r.id FOR UPDATE OF r`,
      values: [type, directories, ids],
    });
    return rows.map(fromRow);
  }

  /** Deletes resources of one type with every membership they are part of. */
  async deleteMany(client: PoolClient, directoryId: string, type: ResourceType, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await client.query('DELETE FROM scim_resources WHERE directory_id = $1 AND resource_type = $2 AND id = ANY($3::text[])', [directoryId, type, ids]);
    const column = type === 'Group' ? 'group_id' : 'user_id';
    await client.query(`DELETE FROM group_members WHERE directory_id = $1 AND ${column} = ANY($2::text[])`, [directoryId, ids]);
  }

  async insert(client: PoolClient, row: ResourceRow): Promise<void> {
    const { text, values } = this.insertStatement(row);
    const { rowCount } = await this.guardUnique(row.resourceType, () => client.query(text, [...values]));
    if (rowCount === 0) throw directoryBeingDeletedError();
  }

  /**
   * The INSERT of a new resource as a statement to run together with its first events
   * (PostgresEventStore.appendWith); map its errors with `guardUnique`. It inserts nothing (and returns
   * no row) when the directory is being deleted: see NOT_BEING_DELETED.
   */
  insertStatement(row: ResourceRow): CompanionStatement {
    return {
      text: `INSERT INTO scim_resources (${COLUMNS}, unique_key)
             SELECT $1::text, $2::text, $3::text, $4::jsonb, $5::jsonb, $6::int, $7::int, $8::timestamptz, $9::timestamptz, $10::text
              WHERE ${NOT_BEING_DELETED('$1::text')} RETURNING 1`,
      values: [row.directoryId, row.resourceType, row.id, row.resource, row.unknownAttributes, row.revision, row.streamVersion, row.createdAt, row.updatedAt, uniqueKeyOf(row.resourceType, row.resource)],
    };
  }

  /** Which of these directories are being deleted (why a create was refused; see NOT_BEING_DELETED). */
  async beingDeleted(directoryIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM directories WHERE id = ANY($1::text[]) AND deletion_requested_at IS NOT NULL', [[...new Set(directoryIds)]]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The INSERT of several new resources for PostgresEventStore.appendNewStreamsWith: a row whose
   * userName/displayName is taken (by an existing resource or an earlier row of the same statement) is
   * skipped, and so is a row of a directory being deleted; the ids of the rows written come back as `key`.
   */
  insertUniqueStatement(rows: readonly ResourceRow[]): CompanionStatement {
    // One jsonb parameter for all rows (one statement text for every group size; see appendNewStreamsWith).
    const payload = rows.map((row) =>
      JSON.stringify({
        directory_id: row.directoryId,
        resource_type: row.resourceType,
        id: row.id,
        resource: row.resource,
        unknown_attributes: row.unknownAttributes,
        revision: row.revision,
        stream_version: row.streamVersion,
        created_at: row.createdAt,
        updated_at: row.updatedAt,
        unique_key: uniqueKeyOf(row.resourceType, row.resource),
      }),
    );
    return {
      text: `INSERT INTO scim_resources (${COLUMNS}, unique_key)
             SELECT ${prefixed('r')}, r.unique_key
               FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                      AS (directory_id text, resource_type text, id text, resource jsonb, unknown_attributes jsonb, revision int,
                          stream_version int, created_at timestamptz, updated_at timestamptz, unique_key text))
                    WITH ORDINALITY AS r(directory_id, resource_type, id, resource, unknown_attributes, revision, stream_version, created_at, updated_at, unique_key, ord)
              WHERE ${NOT_BEING_DELETED('r.directory_id')}
              ORDER BY r.ord
             ON CONFLICT (directory_id, resource_type, unique_key) DO NOTHING RETURNING id::text AS key`,
      values: [`[${payload.join(',')}]`],
    };
  }

  async update(client: PoolClient, row: ResourceRow): Promise<void> {
    await this.guardUnique(row.resourceType, () =>
      client.query(
        `UPDATE scim_resources SET resource = $4, unknown_attributes = $5, revision = $6, stream_version = $7, updated_at = $8, unique_key = $9
          WHERE directory_id = $1 AND resource_type = $2 AND id = $3`,
        [row.directoryId, row.resourceType, row.id, row.resource, row.unknownAttributes, row.revision, row.streamVersion, row.updatedAt, uniqueKeyOf(row.resourceType, row.resource)],
      ),
    );
  }

  /**
   * Groups' new rows and their membership changes as ONE statement, inside the caller's transaction
   * (which holds the groups' locks): every user in `mustBeUsers` (the members any of the writes added,
   * even if a later one removed them again) must be a user of its directory — they are key-share locked,
   * as `existingUsers` does, so a concurrent user delete waits or is waited for — and only then are the
   * members inserted/deleted and the rows written. Returns those of `mustBeUsers` that are not users
   * (nothing was written then). One round trip for any number of groups: on this machine each
   * round trip costs the ingress ~0.15 ms of CPU in socket writes (bench/group-patch.bench.ts). Rows
   * and members travel as jsonb parameters, so the text (and its prepared plan) is one for every size.
   */
  async writeGroups(
    client: PoolClient,
    rows: readonly ResourceRow[],
    added: readonly Membership[],
    removed: readonly Membership[],
    mustBeUsers: readonly Membership[] = added,
  ): Promise<Membership[]> {
    const rowsJson = JSON.stringify(
      rows.map((row) => ({
        directory_id: row.directoryId,
        id: row.id,
        resource: row.resource,
        unknown_attributes: row.unknownAttributes,
        revision: row.revision,
        stream_version: row.streamVersion,
        updated_at: row.updatedAt,
        unique_key: uniqueKeyOf('Group', row.resource),
      })),
    );
    const pairs = (list: readonly Membership[]): string => JSON.stringify(list.map((m) => ({ directory_id: m.directoryId, group_id: m.groupId, user_id: m.userId })));
    // A displayName clash is passed on as PostgreSQL's error (map it with guardUnique): a caller writing
    // several groups' updates at once must see which kind of failure it was.
    const { rows: result } = await client.query<{ ok: boolean; found: [string, string][] }>({
        name: 'scim_resources_write_groups',
        text: `WITH input AS (
                 SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(directory_id text, id text, resource jsonb, unknown_attributes jsonb,
                                                                  revision int, stream_version int, updated_at timestamptz, unique_key text)),
               wanted AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS a(directory_id text, group_id text, user_id text)),
               gone AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS d(directory_id text, group_id text, user_id text)),
               candidates AS (SELECT DISTINCT directory_id, user_id FROM jsonb_to_recordset($4::jsonb) AS c(directory_id text, group_id text, user_id text)),
               found AS (
                 SELECT u.directory_id, u.id FROM candidates AS c
                   JOIN scim_resources AS u ON u.directory_id = c.directory_id AND u.resource_type = 'User' AND u.id = c.user_id
                    FOR KEY SHARE OF u),
               ok AS (SELECT (SELECT count(*) FROM found) = (SELECT count(*) FROM candidates) AS ok),
               inserted AS (
                 INSERT INTO group_members (directory_id, group_id, user_id)
                 SELECT w.directory_id, w.group_id, w.user_id FROM wanted AS w WHERE (SELECT ok FROM ok)
                 ON CONFLICT DO NOTHING),
               deleted AS (
                 DELETE FROM group_members AS m USING gone AS g
                  WHERE m.directory_id = g.directory_id AND m.group_id = g.group_id AND m.user_id = g.user_id AND (SELECT ok FROM ok)),
               updated AS (
                 UPDATE scim_resources AS s
                    SET resource = i.resource, unknown_attributes = i.unknown_attributes, revision = i.revision,
                        stream_version = i.stream_version, updated_at = i.updated_at, unique_key = i.unique_key
                   FROM input AS i
                  WHERE s.directory_id = i.directory_id AND s.resource_type = 'Group' AND s.id = i.id AND (SELECT ok FROM ok))
               SELECT (SELECT ok FROM ok) AS ok, coalesce((SELECT jsonb_agg(jsonb_build_array(f.directory_id, f.id)) FROM found AS f), '[]'::jsonb) AS found`,
        values: [rowsJson, pairs(added), pairs(removed), pairs(mustBeUsers)],
      });
    const outcome = result[0];
    if (outcome?.ok) return [];
    const found = new Set((outcome?.found ?? []).map(([directoryId, userId]) => `${directoryId}/${userId}`));
    return mustBeUsers.filter((m) => !found.has(`${m.directoryId}/${m.userId}`));
  }

  /**
   * The UPDATE of a resource as a statement to run together with its events (appendWith), applied only
   * if the row is still at the revision and stream version it was read at (optimistic; returns a row
   * when it applied).
   */
  updateStatement(row: ResourceRow, readAt: { revision: number; streamVersion: number }): CompanionStatement {
    return {
      text: `UPDATE scim_resources SET resource = $4::jsonb, unknown_attributes = $5::jsonb, revision = $6, stream_version = $7, updated_at = $8, unique_key = $9
              WHERE directory_id = $1 AND resource_type = $2 AND id = $3 AND revision = $10 AND stream_version = $11 RETURNING 1`,
      values: [row.directoryId, row.resourceType, row.id, row.resource, row.unknownAttributes, row.revision, row.streamVersion, row.updatedAt, uniqueKeyOf(row.resourceType, row.resource), readAt.revision, readAt.streamVersion],
    };
  }

  /** `updateStatement` on its own (a change without events); false when the row moved on meanwhile. */
  async updateIfUnchanged(row: ResourceRow, readAt: { revision: number; streamVersion: number }): Promise<boolean> {
    const { text, values } = this.updateStatement(row, readAt);
    const { rowCount } = await this.guardUnique(row.resourceType, () => this.pool.query(text, [...values]));
    return rowCount === 1;
  }

  async delete(client: PoolClient, directoryId: string, type: ResourceType, id: string): Promise<void> {
    await client.query('DELETE FROM scim_resources WHERE directory_id = $1 AND resource_type = $2 AND id = $3', [directoryId, type, id]);
    if (type === 'Group') await client.query('DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2', [directoryId, id]);
  }

  /** Which of `ids` are users of this directory; they stay (KEY SHARE-locked) until the transaction ends. */
  async existingUsers(client: PoolClient, directoryId: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM scim_resources WHERE directory_id = $1 AND resource_type = 'User' AND id = ANY($2::text[]) FOR KEY SHARE`,
      [directoryId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async groupIdsOfUser(db: Db, directoryId: string, userId: string): Promise<string[]> {
    const { rows } = await db.query<{ group_id: string }>(
      'SELECT group_id FROM group_members WHERE directory_id = $1 AND user_id = $2 ORDER BY group_id',
      [directoryId, userId],
    );
    return rows.map((r) => r.group_id);
  }

  /** The groups a user is in, for the User resource's readOnly `groups`. */
  async groupsOfUser(directoryId: string, userId: string): Promise<{ id: string; displayName: string }[]> {
    const { rows } = await this.pool.query<{ id: string; display_name: string }>(
      `SELECT g.id, g.resource ->> 'displayName' AS display_name
         FROM group_members m JOIN scim_resources g
           ON g.directory_id = m.directory_id AND g.resource_type = 'Group' AND g.id = m.group_id
        WHERE m.directory_id = $1 AND m.user_id = $2 ORDER BY g.id`,
      [directoryId, userId],
    );
    return rows.map((r) => ({ id: r.id, displayName: r.display_name }));
  }

  async changeMembers(client: PoolClient, directoryId: string, groupId: string, added: readonly string[], removed: readonly string[]): Promise<void> {
    if (added.length > 0) {
      await client.query(
        `INSERT INTO group_members (directory_id, group_id, user_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`,
        [directoryId, groupId, added],
      );
    }
    if (removed.length > 0) {
      await client.query('DELETE FROM group_members WHERE directory_id = $1 AND group_id = $2 AND user_id = ANY($3::text[])', [
        directoryId,
        groupId,
        removed,
      ]);
    }
  }

  async list(directoryId: string, type: ResourceType, query: ListQuery): Promise<{ rows: ResourceRow[]; totalResults: number }> {
    const sql = compileListQuery(query, { resourceType: type, column: 'r.resource', firstParamIndex: 3 });
    // `userName eq "x"` / `displayName eq "x"` (every IdP's lookup) also narrows by the unique index.
    const key = indexedEquality(query.filter, type);
    const keyClause = key === undefined ? '' : ` AND r.unique_key = $${3 + sql.params.length}`;
    const where = `r.directory_id = $1 AND r.resource_type = $2 AND (${sql.where})${keyClause}`;
    const params = [directoryId, type, ...sql.params, ...(key === undefined ? [] : [key])];
    const page = `SELECT ${prefixed('r')} FROM scim_resources r WHERE ${where} ORDER BY ${sql.orderBy} ${sql.limit}`;
    // A lookup by userName/displayName (every IdP's check before a create) matches at most one resource:
    // its first page is the whole result, no count needed.
    if (key !== undefined && query.startIndex === 1 && query.count > 0) {
      const { rows } = await this.pool.query<Row>(page, params);
      return { rows: rows.map(fromRow), totalResults: rows.length };
    }
    // Page and total from ONE statement, so from one snapshot: with two, a write in between could make
    // totalResults disagree with the page (a client paging by it would skip or repeat resources).
    const { rows } = await this.pool.query<Row & { total_results: string; ord: string | null }>(
      `SELECT c.n::text AS total_results, p.*
         FROM (SELECT count(*) AS n FROM scim_resources r WHERE ${where}) c
         LEFT JOIN LATERAL (
           SELECT ${prefixed('r')}, row_number() OVER (ORDER BY ${sql.orderBy}) AS ord
             FROM scim_resources r WHERE ${where} ORDER BY ${sql.orderBy} ${sql.limit}) p ON true
        ORDER BY p.ord`,
      params,
    );
    return { rows: rows.filter((r) => r.ord !== null).map(fromRow), totalResults: Number(rows[0]?.total_results ?? 0) };
  }

  /** Runs a write; a clash on (directory, type, userName/displayName) becomes SCIM 409 uniqueness. */
  async guardUnique<T>(type: ResourceType, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && String((error as { constraint?: string }).constraint).includes('unique_key')) {
        throw uniquenessError(type);
      }
      throw error;
    }
  }
}

/** SCIM 404 for a write to a directory whose deletion was requested meanwhile. */
export function directoryBeingDeletedError(): ScimError {
  return ScimError.notFound('no such directory: it is being deleted');
}

/** SCIM 409 uniqueness for a userName (users) or displayName (groups) that is taken in the directory. */
export function uniquenessError(type: ResourceType): ScimError {
  return ScimError.uniqueness(type === 'User' ? 'a user with this userName already exists in this directory' : 'a group with this displayName already exists in this directory');
}

function prefixed(alias: string): string {
  return COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

/** The lower-cased value of a top-level `userName eq` (users) / `displayName eq` (groups) filter, if that is what it is. */
function indexedEquality(filter: FilterNode | undefined, type: ResourceType): string | undefined {
  if (!filter) return undefined;
  if (filter.kind === 'logical' && filter.operator === 'and') return indexedEquality(filter.left, type) ?? indexedEquality(filter.right, type);
  if (filter.kind !== 'comparison' || filter.operator !== 'eq' || typeof filter.value !== 'string') return undefined;
  if (filter.path.subAttr !== undefined) return undefined;
  const expected = type === 'User' ? 'username' : 'displayname';
  if (filter.path.name.toLowerCase() !== expected) return undefined;
  const uri = filter.path.uri?.toLowerCase();
  if (uri !== undefined && !uri.startsWith(type === 'User' ? 'urn:ietf:params:scim:schemas:core:2.0:user' : 'urn:ietf:params:scim:schemas:core:2.0:group')) return undefined;
  return filter.value.toLowerCase();
}
