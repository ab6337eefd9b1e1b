import type { Pool } from 'pg';

/**
 * Background jobs whose request is already durable (a row and an event): a job runs until it is done,
 * retried with back-off when it fails (Postgres away, a conflict). One runner per job across every
 * replica: the runner holds a session advisory lock on the job's key for as long as it works, so another
 * replica's attempt returns at once, and a replica that dies (its session with it) frees the job for the
 * others. Every replica sweeps for unfinished jobs at start and every `sweepMs`, so a job left by a
 * replica that stopped is taken over without waiting for a restart. stop() wakes every sleeping job and
 * waits for them. Written here rather than taken from a queue library: the queue IS the owner's table,
 * and all a job needs is this loop and the lock.
 */
export class DurableJobs {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private wakeAll = new AbortController();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly what: string,
    private readonly pool: Pool,
    private readonly logger: { warn(message: string): void },
  ) {}

  get stopped(): boolean {
    return this.stopping;
  }

  /** Starts the sweeps: `unfinished()` lists the keys of jobs still to do, `work(key)` does one. */
  start(unfinished: () => Promise<string[]>, work: (key: string) => Promise<void>, sweepMs: number): void {
    this.stopping = false;
    this.wakeAll = new AbortController();
    const sweep = async (): Promise<void> => {
      try {
        for (const key of await unfinished()) void this.run(key, () => work(key));
      } catch (error) {
        this.logger.warn(`${this.what}: listing unfinished jobs failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    void sweep();
    this.sweeper = setInterval(() => void sweep(), sweepMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.wakeAll.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs the job for `key` here unless it already runs here or on another replica. Never rejects. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const job = this.claimed(key, work).finally(() => this.running.delete(key));
    this.running.set(key, job);
    return job;
  }

  private async claimed(key: string, work: () => Promise<void>): Promise<void> {
    let session;
    try {
      session = await this.pool.connect();
    } catch (error) {
      this.logger.warn(`${this.what} ${key}: no connection to claim it (the next sweep tries again): ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const lockKey = `durable-job/${this.what}/${key}`;
    try {
      const { rows } = await session.query<{ claimed: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS claimed', [lockKey]);
      if (!rows[0]?.claimed) return; // Another replica runs it.
      try {
        await this.untilDone(key, work);
      } finally {
        await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch(() => undefined);
      }
    } finally {
      session.release();
    }
  }

  /** Resolves after `ms`, or at once when stop() is called. */
  sleep(ms: number): Promise<void> {
    const signal = this.wakeAll.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  private async untilDone(key: string, work: () => Promise<void>): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt += 1) {
      try {
        await work();
        return;
      } catch (error) {
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.logger.warn(`${this.what} ${key} failed (attempt ${attempt}), again in ${delay} ms: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(delay);
      }
    }
  }
}
