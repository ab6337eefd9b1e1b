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
  if (typeof body === 'string') {
    // jsonb cannot hold U+0000, and one such string would fail the INSERT of the whole batch.
    const kept = body.includes('\u0000') ? body.replaceAll('\u0000', '\uFFFD') : body;
    return kept.length > 2_000 ? `${kept.slice(0, 2_000)}…` : kept;
  }
  return body;
}

/**
 * A log entry as the JSON object its INSERT reads (jsonb_to_recordset), serialised at `record` time: an
 * entry waits up to 100 ms for its INSERT, long enough to outlive a young-generation GC at full load, and
 * V8 copies whatever survives one. A parsed body kept as an object tree made each entry dozens of objects
 * to copy (and promote); this way it is one string, and the flush sends one JSON text instead of eleven
 * arrays whose every element the driver escapes.
 */
function entryJson(entry: RequestLogEntry): string {
  return JSON.stringify({
    directory_id: entry.directoryId,
    request_id: entry.requestId,
    received_at: entry.receivedAt,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    latency_ms: entry.latencyMs,
    token_id: entry.tokenId,
    events: entry.events,
    request_body: entry.requestBody ?? null,
    error: entry.error,
  });
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
  private buffer: string[] = [];
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
    this.buffer.push(entryJson(entry));
    if (this.buffer.length >= 500) void this.flush();
  }

  /** Writes what is buffered; resolves when everything recorded before the call is stored. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.buffer;
      if (batch.length === 0) return;
      this.buffer = [];
      try {
        await this.pool.query(
          `INSERT INTO scim_request_log (directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error)
           SELECT e.directory_id, e.request_id, e.received_at, e.method, e.path, e.status, e.latency_ms, e.token_id, e.events, e.request_body, e.error
             FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                    AS (directory_id text, request_id text, received_at timestamptz, method text, path text, status int, latency_ms real,
                        token_id text, events jsonb, request_body jsonb, error text))
                  WITH ORDINALITY AS e(directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error, ord)
            ORDER BY e.ord`,
          [`[${batch.join(',')}]`],
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
