import { Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Pool } from 'pg';
import { schemaFor, type ServiceOptions } from '../service-options';
import { PG_POOL, SERVICE_OPTIONS } from '../tokens';

/** Creates the service's own schema at start; the pool's search_path points at it. */
@Injectable()
export class PostgresLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Postgres');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_OPTIONS) private readonly options: ServiceOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const schema = schemaFor(this.options.serviceName);
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    this.logger.log(`schema "${schema}" ready`);
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
        const schema = schemaFor(options.serviceName);
        const pool = new Pool({
          connectionString: options.config.DATABASE_URL,
          max: options.config.DATABASE_POOL_SIZE,
          application_name: options.serviceName,
          options: `-c search_path=${schema},public`,
          connectionTimeoutMillis: 5_000,
        });
        // An idle client losing its connection must not crash the process; the next query reconnects.
        pool.on('error', (error) => new Logger('Postgres').warn(`idle client error: ${error.message}`));
        return pool;
      },
    },
    PostgresLifecycle,
  ],
  exports: [PG_POOL],
})
export class PostgresModule {}
