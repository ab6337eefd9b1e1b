import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app.config';
import { ENTITIES } from './entities';
import { CreateTables1796342400000 } from './migrations/1796342400000-create-tables';

export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities: ENTITIES,
    migrations: [CreateTables1796342400000],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    logging: false,
    // search_path = the app's schema, so the migration and the SQL in ../sync use plain table names.
    extra: { max: 5, options: `-c search_path=${config.DATABASE_SCHEMA}` },
  };
}

/** Connects, creates the schema and runs pending migrations (one replica at a time) before anything uses it. */
async function migratedDataSource(options: DataSourceOptions, schema: string): Promise<DataSource> {
  const dataSource = await new DataSource(options).initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.migrations`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.migrations`]);
    }
  } finally {
    await runner.release();
  }
  return dataSource;
}

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config),
          dataSourceFactory: async (options) => migratedDataSource(options ?? dataSourceOptions(config), config.DATABASE_SCHEMA),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      exports: [TypeOrmModule],
    };
  }
}
