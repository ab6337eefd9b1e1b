/**
 * Background jobs whose request is already durable (a row and an event): a job runs until it is done,
 * retried with back-off when it fails (Postgres away, a conflict), one at a time per key; stop() wakes
 * every sleeping job and waits for them. Whatever a stopped job left is resumed by the next start (the
 * owner lists its unfinished requests then). Written here rather than taken from a queue library: the
 * queue IS the owner's table, and all a job needs is this loop.
 */
export class DurableJobs {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private wakeAll = new AbortController();

  constructor(
    private readonly what: string,
    private readonly logger: { warn(message: string): void },
  ) {}

  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.stopping = false;
    this.wakeAll = new AbortController();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeAll.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Starts the job for `key`, or joins the one already running. Never rejects. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const job = this.untilDone(key, work).finally(() => this.running.delete(key));
    this.running.set(key, job);
    return job;
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

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** Runs `work` again (a few times, with jitter) when it lost a race: a deadlock, a serialization or version conflict. */
export async function retryConflicts<T>(work: () => Promise<T>, isConflict: (error: unknown) => boolean, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const retryable = isConflict(error) || RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
      if (!retryable || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
