import type { MigrationInterface, QueryRunner } from 'typeorm';
import { generationSchemas } from './generation-schemas';
import { USERS_GIN_PENDING_LIST_KB, USERS_NAME_INDEX } from '../read-model.schema';

/** The automatic name PostgreSQL gave the users' userName sort index of the first shape. */
const PLAIN_NAME_INDEX = 'users_directory_id_user_name_sort_user_id_idx';

/**
 * In every existing generation (createGenerationTables and createGenerationQueryIndexes make the same
 * for later ones):
 * - the users' userName sort index also carries `search_text` (INCLUDE): a broad search then counts its
 *   matches (up to the cap) by an index-only scan instead of reading 10,000 wide heap rows (about
 *   1.3 kB each, jsonb included): 31 ms → 4 ms for `bench.example` over 100,000 users;
 * - the users' trigram index merges its pending list at 256 kB instead of 4 MB (USERS_GIN_PENDING_LIST_KB);
 * - the runner's progress rows leave half of each page free, so their updates are HOT (fill factor 50;
 *   pages written from now on).
 */
export class ReadModelTuning1765584000000 implements MigrationInterface {
  readonly name = 'ReadModelTuning1765584000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const schema of await generationSchemas(runner)) {
      await runner.query(`CREATE INDEX IF NOT EXISTS ${USERS_NAME_INDEX} ON "${schema}".users (directory_id, user_name_sort, user_id) INCLUDE (search_text)`);
      await runner.query(`DROP INDEX IF EXISTS "${schema}".${PLAIN_NAME_INDEX}`);
      await runner.query(`ALTER INDEX IF EXISTS "${schema}".users_search_text_idx SET (gin_pending_list_limit = ${USERS_GIN_PENDING_LIST_KB})`);
      await runner.query(`ALTER TABLE "${schema}".projection_positions SET (fillfactor = 50)`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const schema of await generationSchemas(runner)) {
      await runner.query(`CREATE INDEX IF NOT EXISTS ${PLAIN_NAME_INDEX} ON "${schema}".users (directory_id, user_name_sort, user_id)`);
      await runner.query(`DROP INDEX IF EXISTS "${schema}".${USERS_NAME_INDEX}`);
      await runner.query(`ALTER INDEX IF EXISTS "${schema}".users_search_text_idx RESET (gin_pending_list_limit)`);
      await runner.query(`ALTER TABLE "${schema}".projection_positions RESET (fillfactor)`);
    }
  }
}
