import type { Pool } from 'pg';

/**
 * The tables (and columns) whose statistics the query plans depend on: search selectivity, the
 * directory filter, keyset sort keys, group filters. Not the jsonb documents, whose sampling made an
 * ANALYZE of 100,000 users take half again as long (autovacuum's own ANALYZE still covers them).
 */
const ANALYZED = {
  users: ['directory_id', 'user_id', 'active', 'search_text', 'user_name_sort', 'display_name_sort', 'created_at', 'updated_at'],
  groups: ['directory_id', 'group_id', 'search_text', 'display_name_sort'],
  memberships: ['directory_id', 'group_id', 'user_id'],
} as const;

export interface StatisticsOptions {
  /** Changes (applied events) before the first ANALYZE of a generation, and the floor afterwards. */
  readonly minChanges?: number;
  /**
   * Changes, as a fraction of the largest analysed table, before the next ANALYZE. Coarser than
   * autovacuum's 0.1 (which keeps running on its own schedule): the point is that the plans of a freshly
   * synced directory have statistics at all, with a handful of ANALYZEs during a 100,000-user sync.
   */
  readonly scaleFactor?: number;
  /**
   * When the projection has applied nothing for this long (ms) and at least `minChanges` changes are not
   * covered yet, a pass runs anyway (default 1,000): the end of a sync. Otherwise the last third of a
   * 100,000-user first sync waited for autovacuum (up to a minute, autovacuum_naptime), and until then
   * a broad search read the heap (see above).
   */
  readonly settleMs?: number;
}

/**
 * Keeps the planner's statistics of one generation's tables current while a sync writes them, and their
 * visibility maps: each pass is a VACUUM (ANALYZE), because a broad search counts its matches from the
 * covering user-name index, and that scan is index-only only on pages the visibility map marks
 * all-visible. Freshly written pages are not until a vacuum: right after a 100,000-user sync the count
 * read every heap page instead (10.3 ms per broad search against 5.4 ms vacuumed; p50 over HTTP 12.6
 * against 6.6 ms, p99 44.9 against 17.4 ms). Each pass only visits pages changed since the last one.
 *
 * Autovacuum analyses a table once 10% of it changed, but only when it next visits the database
 * (autovacuum_naptime, one minute by default): right after an IdP's first sync of 100,000 users the
 * users table has had no statistics at all for up to that minute, and the planner then guesses a trigram
 * search is selective and the directory filter too (BitmapAnd over 100,000 directory entries, a bitmap
 * heap scan of every row for a broad search): searches took 5–20 times longer until autovacuum came. This
 * analyses as soon as its own (coarser) threshold is crossed, counted from the events the projection
 * applied, one ANALYZE at a time, outside the projection's transactions.
 */
export class ReadModelStatistics {
  private changes = 0;
  private threshold: number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private calibrated = false;
  private settle: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly warn: (message: string) => void,
    private readonly options: StatisticsOptions = {},
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema ${schema}`);
    this.threshold = options.minChanges ?? 2_000;
  }

  /** After a projection transaction committed `count` events. */
  noteApplied(count: number): void {
    this.changes += count;
    if (this.stopped) return;
    if (this.settle) clearTimeout(this.settle);
    this.settle = undefined;
    if (!this.running && this.changes >= this.threshold) {
      this.run(() => this.check());
      return;
    }
    if (this.changes >= (this.options.minChanges ?? 2_000)) {
      this.settle = setTimeout(() => {
        this.settle = undefined;
        if (this.stopped) return;
        // A pass still running: look again once it is done (what changed meanwhile is still counted).
        if (this.running) void this.running.then(() => this.noteApplied(0));
        else this.run(() => this.analyze());
      }, this.options.settleMs ?? 1_000);
      this.settle.unref();
    }
  }

  private run(pass: () => Promise<void>): void {
    this.running = pass()
      .catch((error: unknown) => this.warn(`VACUUM (ANALYZE) of ${this.schema} failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (this.running = undefined));
  }

  private async check(): Promise<void> {
    if (!this.calibrated) {
      // Tables analysed before this keeper started (e.g. by a rebuild): their size sets the threshold.
      this.calibrated = true;
      const analysed = await this.analysedRows();
      this.threshold = this.thresholdFor(analysed);
      if (this.changes < this.threshold) return;
    }
    await this.analyze();
  }

  private thresholdFor(analysedRows: number): number {
    return Math.max(this.options.minChanges ?? 2_000, Math.ceil((this.options.scaleFactor ?? 0.5) * analysedRows));
  }

  /** The largest analysed table's row count as of its last ANALYZE (0 = never analysed). */
  private async analysedRows(): Promise<number> {
    const { rows } = await this.pool.query<{ rows: number }>(
      `SELECT coalesce(max(greatest(c.reltuples, 0)), 0)::float8 AS rows FROM pg_class AS c WHERE c.oid = ANY($1::regclass[])`,
      [Object.keys(ANALYZED).map((t) => `"${this.schema}".${t}`)],
    );
    return rows[0]?.rows ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.settle) clearTimeout(this.settle);
    this.settle = undefined;
    await this.running;
  }

  /**
   * Vacuums and analyses the generation's tables now; afterwards waits for the next `scaleFactor` of its
   * rows to change. (VACUUM also merges the users' trigram pending list, outside any projection transaction.)
   */
  async analyze(): Promise<void> {
    const s = `"${this.schema}"`;
    const tables = Object.entries(ANALYZED);
    this.changes = 0;
    await this.pool.query(`VACUUM (ANALYZE) ${tables.map(([t, columns]) => `${s}.${t} (${columns.join(', ')})`).join(', ')}`);
    this.calibrated = true;
    this.threshold = this.thresholdFor(await this.analysedRows());
  }
}
