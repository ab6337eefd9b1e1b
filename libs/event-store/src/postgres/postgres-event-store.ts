import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { ConcurrencyError, DuplicateEventIdError } from '../event-store.errors';
import {
  START,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type GlobalPosition,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../subscription';

const UNIQUE_VIOLATION = '23505';
const NOT_NULL_VIOLATION = '23502';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresEventStoreOptions {
  /** The owning service's schema: the store's tables live there (one schema per service). */
  readonly schema: string;
  /** Idle poll interval of subscriptions in other processes; in-process appends wake them at once. */
  readonly pollIntervalMs?: number;
}

interface EventRow extends QueryResultRow {
  tx_text: string;
  position_text: string;
  event_id: string;
  stream_id: string;
  version_text: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

/**
 * `own`: the append is its own statement/transaction. `savepoint`: inside a caller's transaction, guarded
 * by a savepoint so a conflict leaves the transaction usable. `bare`: inside a caller's transaction
 * without a savepoint (two round trips fewer); a conflict aborts the transaction and the caller retries it.
 */
type AppendMode = 'own' | 'savepoint' | 'bare';

export interface WithTransactionOptions {
  /**
   * Guard each append with a savepoint (default true) so a ConcurrencyError leaves the transaction
   * usable. `false` saves two round trips per append for callers that retry the whole transaction.
   */
  readonly savepoints?: boolean;
}

/**
 * A caller's own data-modifying statement (INSERT/UPDATE/DELETE … RETURNING …), run in the same SQL
 * statement as an append (see `appendWith`). Placeholders `$1…$n` refer to `values`; no trailing `;`.
 */
export interface CompanionStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export interface AppendWithResult extends AppendResult {
  /** Rows the companion statement returned; 0 means its condition failed and nothing was written. */
  readonly companionRows: number;
}

/** Something that runs queries: the pool (autocommit) or a client inside a transaction. */
type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * Appends within a caller's transaction, so SCIM state and events commit (or roll back) together.
 */
export interface EventStoreTransaction {
  readonly client: PoolClient;
  append(streamId: string, events: readonly NewEvent[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult>;
}

/**
 * PostgreSQL event store: one append-only `events` table per service schema.
 *
 * Global order and late commits: `global_position` comes from a sequence at insert time, but
 * transactions commit in any order, so a reader going by position alone could pass position 7 while
 * position 6 is still uncommitted, and never see 6. Each row therefore records its transaction id
 * (`pg_current_xact_id()`), and `readAll` returns only rows of transactions older than the oldest one
 * still running (`pg_snapshot_xmin(pg_current_snapshot())`), ordered by (transaction id, position).
 * Every such transaction has finished, so nothing can ever appear before a position already read —
 * the approach of Marten and Emmett. The cost: one long-running transaction anywhere in the database
 * holds readers back until it ends (keep transactions short).
 *
 * No LISTEN/NOTIFY on append: PostgreSQL serialises the commits of notifying transactions behind a
 * global lock, which would cap append throughput. Subscriptions poll when idle and are woken at once
 * by appends made through this same store instance.
 */
export class PostgresEventStore implements EventStore {
  private readonly table: string;
  private readonly appended = new EventEmitter();
  private readonly statementNames = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
  ) {
    if (!IDENTIFIER.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
    this.table = `"${options.schema}".events`;
    this.appended.setMaxListeners(0);
  }

  /**
   * Calls `listener` after every append made through this instance (the signal that wakes its own
   * subscriptions); returns the unsubscribe. For forwarding wake-ups to a subscriber elsewhere, e.g. a
   * relay in a worker thread (see `notifyAppended`).
   */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  /** Wakes this instance's subscriptions as an append through it would: for appends made elsewhere. */
  notifyAppended(): void {
    this.appended.emit('appended');
  }

  /** Creates the schema objects if missing. Safe to run on every start and from several instances. */
  async migrate(): Promise<void> {
    const s = `"${this.options.schema}"`;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Concurrent first starts of several instances must not race on CREATE.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.options.schema}.event-store.migrate`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${s}.events (
          global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          event_id uuid NOT NULL,
          stream_id text NOT NULL,
          stream_version bigint NOT NULL CHECK (stream_version > 0),
          type text NOT NULL,
          schema_version integer NOT NULL CHECK (schema_version > 0),
          data jsonb NOT NULL,
          metadata jsonb NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
          CONSTRAINT events_event_id_key UNIQUE (event_id)
        )`);
      await client.query(`CREATE INDEX IF NOT EXISTS events_global_order_idx ON ${s}.events (transaction_id, global_position)`);
      // Append-only: the store never updates or deletes, and neither may anyone else.
      await client.query(`
        CREATE OR REPLACE FUNCTION ${s}.events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events are append-only (% refused)', TG_OP; END $$`);
      await client.query(`DROP TRIGGER IF EXISTS events_append_only ON ${s}.events`);
      await client.query(`
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${s}.events
        FOR EACH ROW EXECUTE FUNCTION ${s}.events_are_append_only()`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  append(streamId: string, events: readonly NewEvent[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult> {
    return this.appendWithRetry(this.pool, streamId, events, options.expectedVersion, 'own');
  }

  /**
   * Runs `work` in one transaction with an `append` bound to it. Appends roll back with the rest when
   * `work` throws. A ConcurrencyError thrown by `work` propagates after the rollback.
   */
  async withTransaction<T>(work: (tx: EventStoreTransaction) => Promise<T>, options: WithTransactionOptions = {}): Promise<T> {
    const savepoints = options.savepoints ?? true;
    const client = await this.pool.connect();
    let appendedSomething = false;
    try {
      await client.query('BEGIN');
      const tx: EventStoreTransaction = {
        client,
        append: async (streamId, events, options) => {
          const result = await this.appendWithRetry(client, streamId, events, options.expectedVersion, savepoints ? 'savepoint' : 'bare');
          if (!result.alreadyAppended) appendedSomething = true;
          return result;
        },
      };
      const result = await work(tx);
      await client.query('COMMIT');
      if (appendedSomething) this.appended.emit('appended');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * One round trip for the commonest write: the caller's statement (e.g. the current-state row of the
   * aggregate) and the append run as ONE SQL statement — data-modifying CTEs, autocommitted — so both
   * are written or neither, without BEGIN/COMMIT round trips or a pooled transaction.
   *
   * The events are appended only when the companion returns at least one row, so callers can put an
   * optimistic check into its WHERE clause; when it returns none, nothing is written and
   * `companionRows` is 0. Per-stream order (see appendStatement) holds by construction here: the
   * caller learnt `expectedVersion` from a read made after that version committed, and this statement's
   * transaction id is assigned after that read. Versions are computed from `expectedVersion` (0 = a new stream), not read:
   * a stream that moved on meanwhile makes the unique (stream_id, stream_version) key fail the whole
   * statement, reported as a ConcurrencyError. Any other error (e.g. a unique violation of the
   * companion's table) is passed on unchanged, with nothing written.
   */
  async appendWith(streamId: string, events: readonly NewEvent[], options: { expectedVersion: number }, companion: CompanionStatement): Promise<AppendWithResult> {
    if (events.length === 0) throw new Error('appendWith needs at least one event');
    for (const e of events) {
      if (!UUID.test(e.id)) throw new Error(`event id must be a UUID, got ${JSON.stringify(e.id)}`);
    }
    const expected = options.expectedVersion;
    if (!Number.isSafeInteger(expected) || expected < 0) throw new Error(`expectedVersion must be a version number, got ${expected}`);
    const base = companion.values.length;
    const params: unknown[] = [...companion.values, streamId, expected];
    const values = events.map((e, i) => {
      const p = base + 3 + i * 5;
      params.push(e.id, e.type, e.schemaVersion, JSON.stringify(e.data), JSON.stringify(e.metadata));
      return `($${p}::uuid, $${p + 1}::text, $${p + 2}::int, $${p + 3}::jsonb, $${p + 4}::jsonb, ${i + 1})`;
    });
    // The stream must be at exactly `expectedVersion` (and its last event from an older transaction, see
    // appendStatement). This statement autocommits with the companion, so a failed check must fail the
    // whole statement, not just insert nothing: the version becomes NULL and the NOT NULL constraint
    // aborts it (reported as a ConcurrencyError below).
    const text = `WITH companion AS (${companion.text}),
      last AS (
        SELECT coalesce(max(l.stream_version), 0) AS v, max(l.transaction_id) AS x
          FROM (SELECT stream_version, transaction_id FROM ${this.table} WHERE stream_id = $${base + 1}::text
                 ORDER BY stream_version DESC LIMIT 1) AS l),
      appended AS (
        INSERT INTO ${this.table} (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT e.id, $${base + 1}::text,
               CASE WHEN last.v = $${base + 2}::bigint AND (last.x IS NULL OR last.x <= pg_current_xact_id()) THEN $${base + 2}::bigint + e.ord END,
               e.type, e.schema_version, e.data, e.metadata
          FROM last, (VALUES ${values.join(', ')}) AS e(id, type, schema_version, data, metadata, ord)
         WHERE EXISTS (SELECT 1 FROM companion)
        RETURNING 1)
      SELECT (SELECT count(*) FROM companion)::int AS companion_rows, (SELECT count(*) FROM appended)::int AS appended`;
    try {
      const { rows } = await this.pool.query<{ companion_rows: number; appended: number }>({ name: this.statementName('append_with', text), text, values: params });
      const companionRows = rows[0]?.companion_rows ?? 0;
      if (companionRows === 0) return { nextExpectedVersion: expected, alreadyAppended: false, companionRows };
      this.appended.emit('appended');
      return { nextExpectedVersion: expected + events.length, alreadyAppended: false, companionRows };
    } catch (error) {
      const stale = (error as { code?: unknown; column?: unknown }).code === NOT_NULL_VIOLATION && (error as { column?: unknown }).column === 'stream_version';
      if (stale || (isUniqueViolation(error) && error.constraint === 'events_stream_version_key')) {
        throw new ConcurrencyError(streamId, expected, await this.streamVersion(streamId));
      }
      if (isUniqueViolation(error) && error.constraint === 'events_event_id_key') throw new DuplicateEventIdError(events.map((e) => e.id));
      throw error;
    }
  }

  /**
   * `appendWith` for several NEW streams at once: the companion statement (e.g. a multi-row INSERT of the
   * aggregates' current-state rows) and the first events of the streams (versions 1…n) as ONE SQL
   * statement, autocommitted. It is what lets a writer commit a group of independent creates in one round
   * trip and one WAL flush (group commit).
   *
   * Each stream carries a `key`; the companion returns a text column `key` for each row it wrote, and
   * exactly the streams whose key it returned get their events — so the companion decides per stream
   * (e.g. `INSERT … ON CONFLICT DO NOTHING RETURNING id::text AS key` skips a clash, and that stream gets
   * no event). Returns the streams that were appended. Every stream must be new: one that already has
   * events fails the whole statement (a ConcurrencyError naming the first stream of the group, which
   * cannot tell which; fall back to one `appendWith` per stream). The companion's own errors are passed
   * on unchanged, with nothing written.
   */
  async appendNewStreamsWith(
    streams: readonly { readonly streamId: string; readonly key: string; readonly events: readonly NewEvent[] }[],
    companion: CompanionStatement,
  ): Promise<{ readonly appended: ReadonlySet<string> }> {
    if (streams.length === 0) throw new Error('appendNewStreamsWith needs at least one stream');
    // All events as ONE jsonb parameter (jsonb_to_recordset), not seven placeholders each: the text is the
    // same for every group size, so it is parsed and planned once per connection, and the client
    // serialises one JSON text instead of escaping hundreds of parameters (docs/benchmarks.md).
    const rows: string[] = [];
    for (const { streamId, key, events } of streams) {
      if (events.length === 0) throw new Error(`appendNewStreamsWith needs at least one event for stream ${streamId}`);
      events.forEach((e, i) => {
        if (!UUID.test(e.id)) throw new Error(`event id must be a UUID, got ${JSON.stringify(e.id)}`);
        rows.push(JSON.stringify({ id: e.id, stream_id: streamId, stream_version: i + 1, type: e.type, schema_version: e.schemaVersion, data: e.data, metadata: e.metadata, key }));
      });
    }
    const params: unknown[] = [...companion.values, `[${rows.join(',')}]`];
    const text = `WITH companion AS (${companion.text}),
      appended AS (
        INSERT INTO ${this.table} (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT e.id, e.stream_id, e.stream_version, e.type, e.schema_version,
               coalesce(e.data, 'null'::jsonb), coalesce(e.metadata, 'null'::jsonb) -- JSON null comes out as SQL NULL
          FROM ROWS FROM (jsonb_to_recordset($${params.length}::jsonb)
                 AS (id uuid, stream_id text, stream_version bigint, type text, schema_version int, data jsonb, metadata jsonb, key text))
               WITH ORDINALITY AS e(id, stream_id, stream_version, type, schema_version, data, metadata, key, ord)
         WHERE e.key IN (SELECT companion.key FROM companion)
         ORDER BY e.ord
        RETURNING stream_id)
      SELECT DISTINCT stream_id FROM appended`;
    try {
      const { rows } = await this.pool.query<{ stream_id: string }>({ name: this.statementName('append_new', text), text, values: params });
      if (rows.length > 0) this.appended.emit('appended');
      return { appended: new Set(rows.map((r) => r.stream_id)) };
    } catch (error) {
      if (isUniqueViolation(error) && error.constraint === 'events_stream_version_key') {
        const first = streams[0] as { streamId: string };
        throw new ConcurrencyError(first.streamId, 0, await this.streamVersion(first.streamId));
      }
      if (isUniqueViolation(error) && error.constraint === 'events_event_id_key') throw new DuplicateEventIdError(streams.flatMap((s) => s.events.map((e) => e.id)));
      throw error;
    }
  }

  /**
   * Appends events to many streams at once, each at its stream's end, inside the caller's transaction
   * and as ONE statement (one jsonb parameter, as in appendNewStreamsWith): what a projection that emits
   * events needs, e.g. ten thousand role grants after one mapping change, written with its read model
   * and progress in one commit.
   *
   * Events whose id is already stored are skipped, not refused: callers give them ids derived from what
   * caused them, so a replay of that cause recomputes the same ids and writes nothing twice. Several
   * events of one stream get consecutive versions in the order given. The per-stream order guard holds
   * (see appendStatement): a stream whose last event comes from a younger transaction fails the whole
   * statement with a ConcurrencyError; callers avoid it by taking their locks before the transaction's
   * first write. Wake subscriptions with `notifyAppended` after the caller's COMMIT.
   */
  async appendToStreamsIn(client: PoolClient, appends: readonly { readonly streamId: string; readonly event: NewEvent }[]): Promise<{ readonly appended: number; readonly skipped: number }> {
    if (appends.length === 0) return { appended: 0, skipped: 0 };
    const rows: string[] = [];
    for (const { streamId, event: e } of appends) {
      if (!UUID.test(e.id)) throw new Error(`event id must be a UUID, got ${JSON.stringify(e.id)}`);
      rows.push(JSON.stringify({ id: e.id, stream_id: streamId, type: e.type, schema_version: e.schemaVersion, data: e.data, metadata: e.metadata }));
    }
    // Per-row LATERAL lookups, not joins: the planner cannot know how many rows jsonb_to_recordset yields
    // (it guesses 100), and with joins it chose a nested loop of the input against itself (quadratic:
    // 5.5 s for 10,000 streams) and a full scan of the events table for the id check.
    const text = `WITH input AS (
        SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                 AS (id uuid, stream_id text, type text, schema_version int, data jsonb, metadata jsonb))
               WITH ORDINALITY AS i(id, stream_id, type, schema_version, data, metadata, ord)),
      fresh AS (
        SELECT i.* FROM input AS i
          LEFT JOIN LATERAL (SELECT 1 AS found FROM ${this.table} AS e WHERE e.event_id = i.id LIMIT 1) AS stored ON true
         WHERE stored.found IS NULL),
      appended AS (
        INSERT INTO ${this.table} (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT f.id, f.stream_id,
               -- NULL (refused by NOT NULL, reported as a ConcurrencyError) when the order guard fails.
               CASE WHEN l.x IS NULL OR l.x <= pg_current_xact_id() THEN l.v + row_number() OVER (PARTITION BY f.stream_id ORDER BY f.ord) END,
               f.type, f.schema_version, coalesce(f.data, 'null'::jsonb), coalesce(f.metadata, 'null'::jsonb)
          FROM fresh AS f
          CROSS JOIN LATERAL (
            SELECT coalesce(max(q.stream_version), 0) AS v, max(q.transaction_id) AS x
              FROM (SELECT stream_version, transaction_id FROM ${this.table} WHERE stream_id = f.stream_id
                     ORDER BY stream_version DESC LIMIT 1) AS q) AS l
         ORDER BY f.ord
        RETURNING 1)
      SELECT (SELECT count(*) FROM appended)::int AS appended`;
    try {
      const { rows: result } = await client.query<{ appended: number }>({ name: this.statementName('append_many', text), text, values: [`[${rows.join(',')}]`] });
      const appended = result[0]?.appended ?? 0;
      return { appended, skipped: appends.length - appended };
    } catch (error) {
      const stale = (error as { code?: unknown }).code === NOT_NULL_VIOLATION && (error as { column?: unknown }).column === 'stream_version';
      if (stale || (isUniqueViolation(error) && error.constraint === 'events_stream_version_key')) {
        throw new ConcurrencyError(appends[0]?.streamId ?? '?', 'any', -1);
      }
      if (isUniqueViolation(error) && error.constraint === 'events_event_id_key') throw new DuplicateEventIdError(appends.map((a) => a.event.id));
      throw error;
    }
  }

  /** A prepared-statement name per distinct text (planned once per connection); texts repeat per call site. */
  private statementName(prefix: string, text: string): string {
    let name = this.statementNames.get(text);
    if (name === undefined) {
      if (this.statementNames.size >= 256) this.statementNames.clear();
      name = `${prefix}_${this.options.schema}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
      this.statementNames.set(text, name);
    }
    return name;
  }

  async readStream(streamId: string, options: { fromVersion?: number } = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [streamId, options.fromVersion ?? 1],
    );
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? START;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.table}
        WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id, global_position
        LIMIT $3`,
      [after.transactionId.toString(), after.sequence.toString(), options.limit ?? 1000],
    );
    return rows.map(toRecorded);
  }

  subscribe(handler: (events: readonly RecordedEvent[]) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    return pollingSubscription({
      read: (after, limit) => this.readAll({ after, limit }),
      handler,
      after: options.after ?? START,
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? this.options.pollIntervalMs ?? 100,
      wakeUps: this.appended,
      ...(options.coalesceMs !== undefined ? { coalesceMs: options.coalesceMs } : {}),
      ...(options.coalesceAbovePerSecond !== undefined ? { coalesceAbovePerSecond: options.coalesceAbovePerSecond } : {}),
    });
  }

  /** The stream's current version (0 when it has no events). */
  async streamVersion(streamId: string, db: Queryable = this.pool): Promise<number> {
    const { rows } = await db.query<{ v: string | null }>(
      `SELECT max(stream_version)::text AS v FROM ${this.table} WHERE stream_id = $1`,
      [streamId],
    );
    return Number(rows[0]?.v ?? 0);
  }

  private async appendWithRetry(
    db: Queryable,
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    mode: AppendMode,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    for (const e of events) {
      if (!UUID.test(e.id)) throw new Error(`event id must be a UUID, got ${JSON.stringify(e.id)}`);
    }
    // 'any' only loses a race to another appender; trying again on the new version is always right.
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await this.tryAppend(db, streamId, events, expected, mode);
        if (mode === 'own' && !result.alreadyAppended) this.appended.emit('appended');
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || expected !== 'any' || attempt >= 20 || mode === 'bare') throw error;
      }
    }
  }

  private async tryAppend(
    db: Queryable,
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    mode: AppendMode,
  ): Promise<AppendResult> {
    const expectedNumber = expected === 'no_stream' ? 0 : expected === 'any' ? null : expected;
    // Inside a caller's transaction a failed INSERT would abort the whole transaction; the savepoint
    // lets us roll back just the INSERT and report a typed error. Outside, the single statement is its
    // own transaction and fails atomically.
    let savepoint = false;
    if (mode === 'savepoint') {
      await db.query('SAVEPOINT event_store_append');
      savepoint = true;
    }
    try {
      const { rows } = await db.query<{ stream_version: string }>(this.appendStatement(streamId, events, expectedNumber));
      if (savepoint) {
        await db.query('RELEASE SAVEPOINT event_store_append');
        savepoint = false;
      }
      if (rows.length === events.length) {
        return { nextExpectedVersion: Math.max(...rows.map((r) => Number(r.stream_version))), alreadyAppended: false };
      }
      // Nothing inserted: the stream is not at the expected version — unless this is a retry of an
      // append that already went through.
      const retried = await this.findRetriedAppend(db, streamId, events);
      if (retried) return retried;
      throw new ConcurrencyError(streamId, expected, await this.streamVersion(streamId, db));
    } catch (error) {
      if (savepoint) await db.query('ROLLBACK TO SAVEPOINT event_store_append');
      // Without a savepoint the caller's transaction is aborted: nothing more can be asked of it, and
      // the caller retries the whole transaction (actual version unknown: -1).
      if (mode === 'bare' && isUniqueViolation(error)) throw new ConcurrencyError(streamId, expected, -1);
      if (isUniqueViolation(error)) {
        const retried = await this.findRetriedAppend(db, streamId, events);
        if (retried) return retried;
        if (error.constraint === 'events_event_id_key') {
          throw new DuplicateEventIdError(events.map((e) => e.id));
        }
        // Another appender committed the same versions first.
        throw new ConcurrencyError(streamId, expected, await this.streamVersion(streamId, db));
      }
      throw error;
    }
  }

  /**
   * One INSERT … SELECT with plain scalar parameters (five per event) and a prepared statement per
   * batch size: cheaper to send and parse than array parameters, and planned once per connection.
   *
   * Per-stream order guard: readers go by transaction id (see the class comment), so a stream's next
   * event must come from a transaction with a larger id than its last one. A transaction whose id was
   * assigned before that last append committed (it wrote something else first, or waited on a lock
   * with an id already assigned) would otherwise be read BEFORE the event it follows. Such an append
   * inserts nothing and is reported as a ConcurrencyError: retried as a new transaction, it gets a
   * new, larger id. (Equal ids: the same transaction appending again, ordered by position.)
   */
  private appendStatement(streamId: string, events: readonly NewEvent[], expected: number | null): QueryConfig {
    const values: string[] = [];
    const params: unknown[] = [streamId, expected];
    events.forEach((e, i) => {
      const p = 3 + i * 5;
      values.push(`($${p}::uuid, $${p + 1}::text, $${p + 2}::int, $${p + 3}::jsonb, $${p + 4}::jsonb, ${i + 1})`);
      params.push(e.id, e.type, e.schemaVersion, JSON.stringify(e.data), JSON.stringify(e.metadata));
    });
    return {
      name: events.length <= 32 ? `event_store_append_v2_${this.options.schema}_${events.length}` : undefined,
      text: `INSERT INTO ${this.table} (event_id, stream_id, stream_version, type, schema_version, data, metadata)
             SELECT e.id, $1, c.v + e.ord, e.type, e.schema_version, e.data, e.metadata
               FROM (SELECT coalesce(max(l.stream_version), 0) AS v, max(l.transaction_id) AS x
                       FROM (SELECT stream_version, transaction_id FROM ${this.table} WHERE stream_id = $1
                              ORDER BY stream_version DESC LIMIT 1) AS l) AS c,
                    (VALUES ${values.join(', ')}) AS e(id, type, schema_version, data, metadata, ord)
              WHERE ($2::bigint IS NULL OR c.v = $2::bigint)
                AND (c.x IS NULL OR c.x <= pg_current_xact_id())
             RETURNING stream_version::text`,
      values: params,
    };
  }

  /** When every event id is already in this stream, the append happened before: report, don't redo. */
  private async findRetriedAppend(db: Queryable, streamId: string, events: readonly NewEvent[]): Promise<AppendResult | undefined> {
    const { rows } = await db.query<{ stream_id: string; stream_version: string }>(
      `SELECT stream_id, stream_version::text FROM ${this.table} WHERE event_id = ANY($1::uuid[])`,
      [events.map((e) => e.id)],
    );
    if (rows.length === 0) return undefined;
    if (rows.length === events.length && rows.every((r) => r.stream_id === streamId)) {
      return { nextExpectedVersion: Math.max(...rows.map((r) => Number(r.stream_version))), alreadyAppended: true };
    }
    throw new DuplicateEventIdError(events.map((e) => e.id));
  }
}

// Text aliases get names of their own: an alias equal to the column name would make ORDER BY sort the
// text ('1000' < '999') instead of the xid8/bigint column.
const COLUMNS = `transaction_id::text AS tx_text, global_position::text AS position_text, event_id::text AS event_id,
  stream_id, stream_version::text AS version_text, type, schema_version, data, metadata, recorded_at`;

function toRecorded(row: EventRow): RecordedEvent {
  const position: GlobalPosition = { transactionId: BigInt(row.tx_text), sequence: BigInt(row.position_text) };
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamVersion: Number(row.version_text),
    position,
    recordedAt: row.recorded_at,
  };
}

function isUniqueViolation(error: unknown): error is Error & { code: string; constraint?: string } {
  return error instanceof Error && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}
