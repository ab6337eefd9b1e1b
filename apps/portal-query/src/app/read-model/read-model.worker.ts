import { contractsDecoder, ProjectionRunner, type BackgroundWorker, type ProjectedEvent, type ProjectionLag, type ProjectionLogger } from '@scimbridge/messaging';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { SERVICE_SCHEMA } from '../persistence/read-model.schema';
import { PortalReadModelProjection } from './portal-read-model.projection';
import { ReadModelStatistics } from './read-model.statistics';

export const SERVICE_NAME = 'portal-query';

export interface CurrentGeneration {
  readonly generation: number;
  readonly schema: string;
}

export interface ReadModelProjectionOptions {
  /** After each committed transaction (the service's statistics keeper). */
  readonly onApplied?: (events: readonly ProjectedEvent[]) => void;
  /**
   * Only for a generation a rebuild is filling (nothing reads it yet): asynchronous commits and the
   * event log written ahead of each transaction (`asyncCommit`, `logAhead`: see PortalReadModelProjection).
   */
  readonly building?: boolean;
  /** Events per transaction (default 500). */
  readonly maxEventsPerTransaction?: number;
  /** Bytes per partition per Kafka fetch (kafkajs default 1 MiB): bounds a transaction too. */
  readonly maxBytesPerPartition?: number;
}

export async function currentGeneration(pool: Pool): Promise<CurrentGeneration> {
  const { rows } = await pool.query<{ generation: number; schema_name: string }>(
    `SELECT generation, schema_name FROM "${SERVICE_SCHEMA}".read_model_generations WHERE state = 'current'`,
  );
  const row = rows[0];
  if (!row) throw new Error('no current read-model generation (migrations not run?)');
  return { generation: row.generation, schema: row.schema_name };
}

/** The runner of one generation's projection (the service and the rebuild build it the same way). */
export function readModelRunner(
  pool: Pool,
  kafka: Kafka,
  generation: CurrentGeneration,
  logger?: ProjectionLogger,
  options: ReadModelProjectionOptions = {},
): ProjectionRunner {
  const projection = new PortalReadModelProjection(generation.generation, generation.schema, options.onApplied, {
    asyncCommit: options.building === true,
    logAhead: options.building === true,
  });
  return new ProjectionRunner({
    serviceName: SERVICE_NAME,
    pool,
    // Progress rows live in the generation's schema, next to its tables: a fresh generation starts at 0.
    schema: generation.schema,
    kafka,
    projection,
    decode: contractsDecoder,
    ...(logger ? { logger } : {}),
    // Catch-up is the rebuild's and a new replica's normal case: bigger transactions, fewer commits.
    maxEventsPerTransaction: options.maxEventsPerTransaction ?? 500,
    ...(options.maxBytesPerPartition ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytesPerFetch: Math.max(options.maxBytesPerPartition * 2, 10 * 2 ** 20) } : {}),
  });
}

/**
 * Runs the projection of the current generation and follows a switch-over: when a rebuild has made
 * another generation current, this starts that generation's runner (its consumer group continues where
 * the rebuild's left off) and then stops the old one. Queries go through the views, which the rebuild
 * re-pointed in the same transaction as the switch, so they never wait for this.
 */
export class ReadModelWorker implements BackgroundWorker {
  readonly workerName = 'portal-query read models';
  private runner: ProjectionRunner | undefined;
  private statistics: ReadModelStatistics | undefined;
  private running: CurrentGeneration | undefined;
  private timer: NodeJS.Timeout | undefined;
  private switching: Promise<void> = Promise.resolve();
  private lastError: string | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly kafka: Kafka,
    private readonly pollMs: number,
    private readonly logger: ProjectionLogger,
  ) {}

  /** The read-model tables are TypeORM migrations (run when the DataSource starts). */
  async migrate(): Promise<void> {}

  async start(): Promise<void> {
    await this.follow();
    this.timer = setInterval(() => {
      this.switching = this.switching.then(() => this.follow()).catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn(`read-model generation check failed: ${this.lastError}`);
      });
    }, this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.switching.catch(() => undefined);
    await this.runner?.stop();
    await this.statistics?.stop();
    this.runner = undefined;
    this.statistics = undefined;
  }

  get generation(): CurrentGeneration | undefined {
    return this.running;
  }

  get status(): { generation: number | null; applied: number; skipped: number; deadLettered: number; lastError: string | null } {
    const stats = this.runner?.stats ?? { applied: 0, skipped: 0, deadLettered: 0 };
    return { generation: this.running?.generation ?? null, ...stats, lastError: this.lastError };
  }

  async lag(): Promise<ProjectionLag & { generation: number }> {
    const runner = this.runner;
    const running = this.running;
    if (!runner || !running) throw new Error('the read-model projection is not running');
    return { ...(await runner.lag()), generation: running.generation };
  }

  private async follow(): Promise<void> {
    const current = await currentGeneration(this.pool);
    if (this.running?.generation === current.generation) return;
    const statistics = new ReadModelStatistics(this.pool, current.schema, (m) => this.logger.warn(m));
    const next = readModelRunner(this.pool, this.kafka, current, this.logger, { onApplied: (events) => statistics.noteApplied(events.length) });
    await next.migrate();
    await next.start();
    const previous = this.runner;
    const previousStatistics = this.statistics;
    this.runner = next;
    this.statistics = statistics;
    this.running = current;
    if (previous) {
      this.logger.info(`read models switched to generation ${current.generation}`);
      await previous.stop();
    }
    await previousStatistics?.stop();
  }
}
