import type { BackgroundWorker } from '@scimbridge/messaging';
import type { Pool } from 'pg';

/**
 * Deletes events older than the retention period, with their finished deliveries (FK cascade). An
 * event with a delivery still pending is kept until that delivery ends. In slices, so one run never
 * holds a long transaction (which would also hold back other readers).
 */
export class EventsRetentionWorker implements BackgroundWorker {
  readonly workerName = 'events retention';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly retentionDays: number,
    private readonly intervalMs: number,
    private readonly logger: { info(m: string): void; warn(m: string): void },
  ) {}

  async migrate(): Promise<void> {}

  start(): void {
    const tick = (): void => {
      this.running ??= this.purge()
        .then((n) => {
          if (n > 0) this.logger.info(`events retention: deleted ${n} events older than ${this.retentionDays} days`);
        })
        .catch((error: unknown) => this.logger.warn(`events retention failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Returns how many events were deleted. */
  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.pool.query(
        `DELETE FROM events WHERE position IN (
           SELECT e.position FROM events e
            WHERE e.stored_at < now() - make_interval(days => $1)
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_position = e.position AND d.status = 'pending')
            ORDER BY e.position LIMIT 5000)`,
        [this.retentionDays],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < 5000) return total;
    }
  }
}
