import { Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Pool } from 'pg';
import { schemaFor, type ServiceOptions } from '../service-options';
import { PG_POOL, SERVICE_OPTIONS } from '../tokens';

/**
 * A pool for the service's own schema (search_path), as the service's PG_POOL and for its worker
 * threads. An idle client losing its connection must not crash the process; the next query reconnects.
 */
export function createServicePool(serviceName: string, databaseUrl: string, max: number, warn: (message: string) => void, applicationName = serviceName): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max,
    application_name: applicationName,
    options: `-c search_path=${schemaFor(serviceName)},public`,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', (error) => warn(`idle client error: ${error.message}`));
  return pool;
}

/** Creates the service's own schema at start; the pool's search_path points at it. */
@Injectable()
export class PostgresLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Postgres');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_OPTIONS) private readonly options: ServiceOptions,
  ) {}

  /** Waits for PostgreSQL (it may still be starting next to us), then fails boot with a clear reason. */
  async onModuleInit(): Promise<void> {
    const schema = schemaFor(this.options.serviceName);
    const deadline = Date.now() + this.options.config.DATABASE_CONNECT_TIMEOUT_MS;
    for (;;) {
      try {
        await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        this.logger.log(`schema "${schema}" ready`);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (Date.now() >= deadline) {
          throw new Error(`PostgreSQL is not reachable (${reason}); gave up after DATABASE_CONNECT_TIMEOUT_MS`);
        }
        this.logger.warn(`PostgreSQL not reachable yet (${reason}); retrying`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [SERVICE_OPTIONS],
      useFactory: (options: ServiceOptions): Pool => {
        const logger = new Logger('Postgres');
        return createServicePool(options.serviceName, options.config.DATABASE_URL, options.config.DATABASE_POOL_SIZE, (m) => logger.warn(m));
      },
    },
    PostgresLifecycle,
  ],
  exports: [PG_POOL],
})
export class PostgresModule {}
