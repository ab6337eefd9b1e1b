import type { MigrationInterface, QueryRunner } from 'typeorm';
import { generationSchemas } from './generation-schemas';
import { pointViewsAt } from '../read-model.schema';

/**
 * DirectoryDeleted: a deleted directory keeps its overview row as a tombstone (`deleted_at`), because
 * events of it on other topics (the RoleRevoked of its deprovisioned users) may still arrive after the
 * deletion and must not bring it back. Queries treat a tombstone as unknown (404). Every existing
 * generation gets the column (createGenerationTables has it for later ones) and the views are re-made
 * over the current generation, since a view's `SELECT *` is fixed when it is created.
 */
export class DirectoryDeletion1765929600000 implements MigrationInterface {
  readonly name = 'DirectoryDeletion1765929600000';

  async up(runner: QueryRunner): Promise<void> {
    for (const schema of await generationSchemas(runner)) {
      await runner.query(`ALTER TABLE "${schema}".directories ADD COLUMN IF NOT EXISTS deleted_at timestamptz`);
    }
    await repointViews(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const schema of await generationSchemas(runner)) {
      await runner.query(`ALTER TABLE "${schema}".directories DROP COLUMN IF EXISTS deleted_at CASCADE`);
    }
    await repointViews(runner);
  }
}

async function repointViews(runner: QueryRunner): Promise<void> {
  const rows = (await runner.query(`SELECT schema_name FROM read_model_generations WHERE state = 'current'`)) as { schema_name: string }[];
  const current = rows[0]?.schema_name;
  if (current) await pointViewsAt((text) => runner.query(text), current);
}
