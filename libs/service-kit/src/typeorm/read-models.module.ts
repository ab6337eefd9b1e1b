import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import type { BaseServiceConfig } from '../config/service-config';
import { schemaFor, type ServiceOptions } from '../service-options';
import { SERVICE_OPTIONS } from '../tokens';

// TypeORM's own parameter types (classes are constructors of any arity).
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = readonly (Function | EntitySchema)[];
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationList = MixedList<Function | string>;

export interface ReadModelsOptions {
  /** The service's TypeORM entities (its read-model tables). */
  readonly entities: EntityList;
  /** Its migrations, in order; `synchronize` is never used. */
  readonly migrations: MigrationList;
  /** Connections of TypeORM's own pool (queries of the API); projections write through PG_POOL. */
  readonly poolSize?: number;
}

/** Where a service's migrations are recorded, in its own schema. */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

/**
 * TypeORM options for a service's read models: its own schema (also the search_path, so migrations
 * may write plain table names), migrations recorded in `typeorm_migrations`, never `synchronize`.
 */
export function readModelDataSourceOptions(serviceName: string, config: BaseServiceConfig, options: ReadModelsOptions): PostgresDataSourceOptions {
  const schema = schemaFor(serviceName);
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    schema,
    entities: [...options.entities],
    migrations: options.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: `${serviceName} typeorm`,
    extra: { max: options.poolSize ?? 4, options: `-c search_path=${schema},public`, connectionTimeoutMillis: 5_000 },
  };
}

/**
 * Runs the pending migrations, each in its own transaction, under a session advisory lock per schema:
 * several replicas starting at once migrate one after the other, and the later ones find nothing to do.
 * Returns the names of the migrations that ran.
 */
export async function migrateReadModels(dataSource: DataSource): Promise<string[]> {
  const schema = (dataSource.options as PostgresDataSourceOptions).schema;
  if (!schema || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid read-model schema ${JSON.stringify(schema)}`);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.typeorm-migrations`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.typeorm-migrations`]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * A service's TypeORM read models: the DataSource (migrated before anything uses it) and a repository
 * per entity for `@InjectRepository`. Import it next to ServiceKitModule.
 */
@Module({})
export class ReadModelsModule {
  static forRoot(options: ReadModelsOptions): DynamicModule {
    const logger = new Logger('ReadModels');
    return {
      module: ReadModelsModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [SERVICE_OPTIONS],
          useFactory: ({ serviceName, config }: ServiceOptions) => ({
            ...readModelDataSourceOptions(serviceName, config, options),
            // PostgreSQL may still be starting next to us: wait about as long as the pg pool does.
            retryAttempts: Math.max(1, Math.ceil(config.DATABASE_CONNECT_TIMEOUT_MS / 1_000)),
            retryDelay: 1_000,
          }),
          dataSourceFactory: async (dataSourceOptions?: DataSourceOptions) => {
            if (!dataSourceOptions) throw new Error('read models: no DataSource options');
            const dataSource = await new DataSource(dataSourceOptions).initialize();
            try {
              const ran = await migrateReadModels(dataSource);
              if (ran.length > 0) logger.log(`migrations applied: ${ran.join(', ')}`);
            } catch (error) {
              await dataSource.destroy().catch(() => undefined);
              throw error;
            }
            return dataSource;
          },
        }),
        TypeOrmModule.forFeature([...options.entities]),
      ],
      exports: [TypeOrmModule],
    };
  }
}
