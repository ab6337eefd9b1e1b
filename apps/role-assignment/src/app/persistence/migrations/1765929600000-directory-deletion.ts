import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DirectoryDeleted: a deleted directory keeps its known_directories row as a tombstone (`deleted_at`).
 * Its mappings arrive on another topic than its deletion, so a replay may apply a RoleMappingsChanged
 * after the DirectoryDeleted it preceded; the tombstone lets the projection ignore it, and the API
 * answers 404 for the directory.
 */
export class DirectoryDeletion1765929600000 implements MigrationInterface {
  readonly name = 'DirectoryDeletion1765929600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE known_directories ADD COLUMN IF NOT EXISTS deleted_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE known_directories DROP COLUMN IF EXISTS deleted_at');
  }
}
