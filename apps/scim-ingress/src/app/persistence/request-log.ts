import type { Pool } from 'pg';

export interface RequestLogEntry {
  readonly directoryId: string;
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly method: string;
  /** Path and query as received (below the directory's base URL). */
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly tokenId: string | null;
  readonly events: readonly { readonly id: string; readonly type: string; readonly streamId: string }[];
  /** Already redacted. */
  readonly requestBody: unknown;
  readonly error: string | null;
}

export interface RequestLogRecord extends RequestLogEntry {
  readonly id: string;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|api[-_]?key/i;

/** A copy of a request body safe to keep: secrets (`password`, anything token-like) replaced, size capped. */
export function redactBody(body: unknown, depth = 0): unknown {
  if (depth > 20) return '[truncated]';
  if (Array.isArray(body)) return body.slice(0, 200).map((v) => redactBody(v, depth + 1));
  if (typeof body === 'object' && body !== null) {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactBody(v, depth + 1)]));
  }
  if (typeof body === 'string' && body.length > 2_000) return `${body.slice(0, 2_000)}…`;
  return body;
}

/**
 * Every SCIM request of a directory with what it did, for the portal's event log and for support. Kept
 * for REQUEST_LOG_RETENTION_DAYS and at most REQUEST_LOG_MAX_PER_DIRECTORY rows per directory.
 *
 * Writes are batched off the request path (one multi-row INSERT every ~100 ms): the log is support
 * data, not state, so a crash may lose the last fraction of a second of it — never a SCIM write, which
 * has committed with its events before the response.
 */
/**
 * The buffered rows, one array per column, every value already a string or number: an entry waits up
 * to 100 ms for its INSERT, long enough to outlive a young-generation GC at full load, and V8 copies
 * whatever survives one. A parsed request body kept as an object tree made each entry dozens of objects
 * to copy (and promote); serialised at `record` time it is one string.
 */
class PendingRows {
  readonly directoryIds: string[] = [];
  readonly requestIds: string[] = [];
  readonly receivedAts: string[] = [];
  readonly methods: string[] = [];
  readonly paths: string[] = [];
  readonly statuses: number[] = [];
  readonly latencies: number[] = [];
  readonly tokenIds: (string | null)[] = [];
  readonly events: string[] = [];
  readonly bodies: (string | null)[] = [];
  readonly errors: (string | null)[] = [];

  get length(): number {
    return this.directoryIds.length;
  }

  push(entry: RequestLogEntry): void {
    this.directoryIds.push(entry.directoryId);
    this.requestIds.push(entry.requestId);
    this.receivedAts.push(entry.receivedAt.toISOString());
    this.methods.push(entry.method);
    this.paths.push(entry.path);
    this.statuses.push(entry.status);
    this.latencies.push(entry.latencyMs);
    this.tokenIds.push(entry.tokenId);
    this.events.push(JSON.stringify(entry.events));
    this.bodies.push(entry.requestBody === undefined ? null : JSON.stringify(entry.requestBody));
    this.errors.push(entry.error);
  }
}

/**
 * Every SCIM request of a directory with what it did, for the portal's event log and for support. Kept
 * for REQUEST_LOG_RETENTION_DAYS and at most REQUEST_LOG_MAX_PER_DIRECTORY rows per directory.
 *
 * Writes are batched off the request path (one multi-row INSERT every ~100 ms): the log is support
 * data, not state, so a crash may lose the last fraction of a second of it — never a SCIM write, which
 * has committed with its events before the response.
 */
export class RequestLog {
  private buffer = new PendingRows();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly retention: { readonly days: number; readonly maxPerDirectory: number },
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), 100);
    this.timer.unref();
    this.pruneTimer = setInterval(() => void this.prune().catch((e: unknown) => this.onError(`request log prune failed: ${String(e)}`)), 10 * 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    await this.flush();
  }

  record(entry: RequestLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= 500) void this.flush();
  }

  /** Writes what is buffered; resolves when everything recorded before the call is stored. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.buffer;
      if (batch.length === 0) return;
      this.buffer = new PendingRows();
      try {
        await this.pool.query(
          `INSERT INTO scim_request_log (directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::real[], $8::text[], $9::jsonb[], $10::jsonb[], $11::text[])`,
          [
            batch.directoryIds,
            batch.requestIds,
            batch.receivedAts,
            batch.methods,
            batch.paths,
            batch.statuses,
            batch.latencies,
            batch.tokenIds,
            batch.events,
            batch.bodies,
            batch.errors,
          ],
        );
      } catch (error) {
        this.onError(`request log write failed (${batch.length} entries dropped): ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.flushing;
  }

  async list(directoryId: string, options: { limit: number; before?: string }): Promise<RequestLogRecord[]> {
    await this.flush();
    const { rows } = await this.pool.query<{
      id: string;
      directory_id: string;
      request_id: string;
      received_at: Date;
      method: string;
      path: string;
      status: number;
      latency_ms: number;
      token_id: string | null;
      events: RequestLogEntry['events'];
      request_body: unknown;
      error: string | null;
    }>(
      `SELECT id::text, directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error
         FROM scim_request_log WHERE directory_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT $3`,
      [directoryId, options.before ?? null, options.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      directoryId: r.directory_id,
      requestId: r.request_id,
      receivedAt: r.received_at,
      method: r.method,
      path: r.path,
      status: r.status,
      latencyMs: r.latency_ms,
      tokenId: r.token_id,
      events: r.events,
      requestBody: r.request_body,
      error: r.error,
    }));
  }

  /** Drops entries past the retention window, then all but the newest N per directory. */
  async prune(): Promise<number> {
    const old = await this.pool.query('DELETE FROM scim_request_log WHERE received_at < now() - make_interval(days => $1)', [this.retention.days]);
    const excess = await this.pool.query(
      `DELETE FROM scim_request_log l USING (
         SELECT directory_id, id FROM (
           SELECT directory_id, id, row_number() OVER (PARTITION BY directory_id ORDER BY id DESC) AS n FROM scim_request_log
         ) ranked WHERE n > $1
       ) doomed WHERE l.id = doomed.id`,
      [this.retention.maxPerDirectory],
    );
    return (old.rowCount ?? 0) + (excess.rowCount ?? 0);
  }
}
