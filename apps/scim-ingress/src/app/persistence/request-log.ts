import { DatabaseError, type Pool } from 'pg';

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

/**
 * Text PostgreSQL's jsonb can hold: U+0000 and lone UTF-16 surrogates (JSON.parse lets both in, e.g.
 * `"\u0000"`, `"\ud800"`) become U+FFFD. One such string would otherwise fail the INSERT of a whole batch.
 */
function storable(text: string): string {
  return (text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text).toWellFormed();
}

/** A copy of a request body safe to keep: secrets (`password`, anything token-like) replaced, size capped. */
export function redactBody(body: unknown, depth = 0): unknown {
  if (depth > 20) return '[truncated]';
  if (Array.isArray(body)) return body.slice(0, 200).map((v) => redactBody(v, depth + 1));
  if (typeof body === 'object' && body !== null) {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [storable(k), SECRET_KEY.test(k) ? '[redacted]' : redactBody(v, depth + 1)]));
  }
  if (typeof body === 'string') {
    // Cut on a character boundary: not between the two halves of a surrogate pair.
    const cut = body.length > 2_000 ? `${body.slice(0, /[\uD800-\uDBFF]/.test(body.charAt(1_999)) ? 1_999 : 2_000)}…` : body;
    return storable(cut);
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
    directory_id: storable(entry.directoryId),
    request_id: storable(entry.requestId),
    received_at: entry.receivedAt,
    method: storable(entry.method),
    path: storable(entry.path),
    status: entry.status,
    latency_ms: entry.latencyMs,
    token_id: entry.tokenId,
    events: entry.events,
    request_body: entry.requestBody ?? null,
    error: entry.error === null ? null : storable(entry.error),
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
        await this.insert(batch);
      } catch (error) {
        // One entry PostgreSQL refuses must not take the others (any directory's) with it: after the
        // server's verdict on the batch, each is tried on its own (not when the server is unreachable).
        let dropped = 0;
        let reason = error instanceof Error ? error.message : String(error);
        if (batch.length > 1 && error instanceof DatabaseError) {
          for (const entry of batch) {
            await this.insert([entry]).catch((single: unknown) => {
              dropped += 1;
              reason = single instanceof Error ? single.message : String(single);
            });
          }
        } else {
          dropped = batch.length;
        }
        if (dropped > 0) this.onError(`request log write failed (${dropped} of ${batch.length} entries dropped): ${reason}`);
      }
    });
    return this.flushing;
  }

  private async insert(entries: readonly string[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO scim_request_log (directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error)
       SELECT e.directory_id, e.request_id, e.received_at, e.method, e.path, e.status, e.latency_ms, e.token_id, e.events, e.request_body, e.error
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                AS (directory_id text, request_id text, received_at timestamptz, method text, path text, status int, latency_ms real,
                    token_id text, events jsonb, request_body jsonb, error text))
              WITH ORDINALITY AS e(directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error, ord)
        ORDER BY e.ord`,
      [`[${entries.join(',')}]`],
    );
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
      // `l.id`: a bare `id` in ORDER BY would be the text output column — "9" after "10".
      `SELECT l.id::text AS id, directory_id, request_id, received_at, method, path, status, latency_ms, token_id, events, request_body, error
         FROM scim_request_log l WHERE directory_id = $1 AND ($2::bigint IS NULL OR l.id < $2::bigint)
        ORDER BY l.id DESC LIMIT $3`,
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
