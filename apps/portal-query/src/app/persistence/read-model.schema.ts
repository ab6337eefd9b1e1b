/*
 * The read models live in generations: schema `portal_query_g<N>` holds one complete table set plus the
 * projection runner's progress rows for it. The query API reads through views in `portal_query` that
 * point at the current generation, so a rebuild fills a fresh generation from offset 0 while the old one
 * keeps answering, then re-points the views in one transaction (DDL is transactional in PostgreSQL):
 * readers switch atomically and never see a half-built table.
 */

export const SERVICE_SCHEMA = 'portal_query';

/** Every table of a generation that the views expose, in creation order. */
export const READ_MODEL_TABLES = ['directories', 'users', 'groups', 'memberships', 'group_roles', 'user_roles', 'event_log'] as const;
export type ReadModelTable = (typeof READ_MODEL_TABLES)[number];

export type Sql = (text: string) => Promise<unknown>;

/** The users' default sort index; it also carries search_text, so a search counts index-only. */
export const USERS_NAME_INDEX = 'users_name_sort_search_idx';

/**
 * The users' trigram index collects new entries in a pending list (GIN fastupdate) and merges it into
 * the index when it outgrows this many kB: the merge runs inside the projection transaction that
 * crossed the limit. At PostgreSQL's default of 4 MB that was every ~3,500 user writes, a stall of
 * hundreds of milliseconds that every event behind it waited for (the write → visible tail); 256 kB
 * merges ~16 times as often, each a sixteenth as long. (fastupdate off would cost each of a sync's
 * inserts ~80 index insertions instead.)
 */
export const USERS_GIN_PENDING_LIST_KB = 256;

export function generationSchema(generation: number): string {
  if (!Number.isSafeInteger(generation) || generation < 1) throw new Error(`invalid read-model generation ${generation}`);
  return `${SERVICE_SCHEMA}_g${generation}`;
}

/**
 * The table set of one generation (as of the latest migration). Frozen as shipped: the first migration calls it for generation 1,
 * the rebuild for every later one; a change to the shape is a new migration that also changes this
 * (and the views), followed by a rebuild.
 *
 * Sort keys are generated columns in the "C" collation (byte order: deterministic, and what keyset
 * pagination compares); search is a lower-cased generated text with a pg_trgm GIN index, so a
 * case-insensitive substring search (`LIKE '%x%'`) is index-backed.
 */
export async function createGenerationTables(sql: Sql, schema: string, options: { deferQueryIndexes?: boolean } = {}): Promise<void> {
  const s = `"${schema}"`;
  await sql(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await sql(`
    CREATE TABLE ${s}.directories (
      directory_id uuid PRIMARY KEY,
      organization_id uuid NOT NULL,
      provider text,
      name text,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz,
      users_active int NOT NULL DEFAULT 0,
      users_inactive int NOT NULL DEFAULT 0,
      groups int NOT NULL DEFAULT 0,
      default_role text,
      default_role_applies_to text,
      first_sync_at timestamptz,
      last_sync_at timestamptz,
      last_event_at timestamptz,
      last_event_id uuid,
      last_event_type text,
      deleted_at timestamptz
    )`);
  await sql(`CREATE INDEX ON ${s}.directories (organization_id)`);
  await sql(`
    CREATE TABLE ${s}.users (
      directory_id uuid NOT NULL,
      user_id text NOT NULL,
      external_id text,
      user_name text NOT NULL,
      display_name text,
      given_name text,
      family_name text,
      primary_email text,
      active boolean NOT NULL,
      department text,
      title text,
      emails jsonb NOT NULL,
      attributes jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      last_event_type text NOT NULL,
      last_event_at timestamptz NOT NULL,
      user_name_sort text COLLATE "C" GENERATED ALWAYS AS (lower(user_name)) STORED,
      display_name_sort text COLLATE "C" GENERATED ALWAYS AS (lower(coalesce(display_name, user_name))) STORED,
      search_text text GENERATED ALWAYS AS (lower(user_name || ' ' || coalesce(display_name, '') || ' ' || coalesce(given_name, '') || ' ' ||
                                               coalesce(family_name, '') || ' ' || coalesce(primary_email, ''))) STORED,
      PRIMARY KEY (directory_id, user_id)
    )`);
  await sql(`
    CREATE TABLE ${s}.groups (
      directory_id uuid NOT NULL,
      group_id text NOT NULL,
      external_id text,
      display_name text NOT NULL,
      attributes jsonb NOT NULL,
      member_count int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      display_name_sort text COLLATE "C" GENERATED ALWAYS AS (lower(display_name)) STORED,
      search_text text GENERATED ALWAYS AS (lower(display_name)) STORED,
      PRIMARY KEY (directory_id, group_id)
    )`);
  await sql(`
    CREATE TABLE ${s}.memberships (
      directory_id uuid NOT NULL,
      group_id text NOT NULL,
      user_id text NOT NULL,
      PRIMARY KEY (directory_id, group_id, user_id)
    )`);
  await sql(`CREATE INDEX ON ${s}.memberships (directory_id, user_id)`);
  await sql(`
    CREATE TABLE ${s}.group_roles (
      directory_id uuid NOT NULL,
      group_id text NOT NULL,
      role text NOT NULL,
      PRIMARY KEY (directory_id, group_id, role)
    )`);
  await sql(`
    CREATE TABLE ${s}.user_roles (
      directory_id uuid NOT NULL,
      user_id text NOT NULL,
      role text NOT NULL,
      via_group_ids text[] NOT NULL,
      granted_at timestamptz NOT NULL,
      PRIMARY KEY (directory_id, user_id, role)
    )`);
  await sql(`
    CREATE TABLE ${s}.event_log (
      directory_id uuid NOT NULL,
      event_id uuid NOT NULL,
      occurred_at timestamptz NOT NULL,
      type text NOT NULL,
      topic text NOT NULL,
      subject text NOT NULL,
      sequence int NOT NULL,
      data jsonb NOT NULL,
      PRIMARY KEY (directory_id, event_id)
    )`);
  // The ProjectionRunner's own progress tables, exactly as ProjectionRunner.migrate() creates them (it
  // runs again at start and finds them): created here too so the position view below can name them.
  // Fill factor 50 for the positions: the runner inserts a subject's row and updates it in the same
  // transaction (and again with every later event of the subject); with room left on the page the
  // update is HOT (no new index entry). A catch-up of 100,000 new users spent a quarter of its time there.
  await sql(`
    CREATE TABLE IF NOT EXISTS ${s}.projection_positions (
      projection text NOT NULL,
      subject text NOT NULL,
      sequence bigint NOT NULL,
      event_id uuid NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (projection, subject)
    ) WITH (fillfactor = 50)`);
  await sql(`
    CREATE TABLE IF NOT EXISTS ${s}.projection_offsets (
      projection text NOT NULL,
      topic text NOT NULL,
      partition integer NOT NULL,
      next_offset bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (projection, topic, partition)
    )`);
  if (!options.deferQueryIndexes) await createGenerationQueryIndexes(sql, schema);
}

/**
 * The indexes only the query API reads (sort keys, trigram search, the event log's order); the
 * projection's own statements use the primary keys and the memberships' user index only. A rebuild
 * creates these after its replay, before the switch-over: one sorted build per index instead of
 * maintaining each of them row by row through 100,000 inserts (the trigram GIN most of all).
 */
export async function createGenerationQueryIndexes(sql: Sql, schema: string): Promise<void> {
  const s = `"${schema}"`;
  // INCLUDE search_text (migration 1765584000000): a broad search counts its matches index-only.
  await sql(`CREATE INDEX IF NOT EXISTS ${USERS_NAME_INDEX} ON ${s}.users (directory_id, user_name_sort, user_id) INCLUDE (search_text)`);
  await sql(`CREATE INDEX IF NOT EXISTS users_directory_id_display_name_sort_user_id_idx ON ${s}.users (directory_id, display_name_sort, user_id)`);
  await sql(`CREATE INDEX IF NOT EXISTS users_directory_id_created_at_user_id_idx ON ${s}.users (directory_id, created_at, user_id)`);
  await sql(`CREATE INDEX IF NOT EXISTS users_directory_id_updated_at_user_id_idx ON ${s}.users (directory_id, updated_at, user_id)`);
  // A small pending list (migration 1765584000000): see USERS_GIN_PENDING_LIST_KB.
  await sql(`CREATE INDEX IF NOT EXISTS users_search_text_idx ON ${s}.users USING gin (search_text gin_trgm_ops) WITH (gin_pending_list_limit = ${USERS_GIN_PENDING_LIST_KB})`);
  await sql(`CREATE INDEX IF NOT EXISTS groups_directory_id_display_name_sort_group_id_idx ON ${s}.groups (directory_id, display_name_sort, group_id)`);
  await sql(`CREATE INDEX IF NOT EXISTS groups_search_text_idx ON ${s}.groups USING gin (search_text gin_trgm_ops)`);
  await sql(`CREATE INDEX IF NOT EXISTS event_log_directory_id_occurred_at_event_id_idx ON ${s}.event_log (directory_id, occurred_at, event_id)`);
}

/**
 * Autovacuum off for a generation a rebuild is filling, back on (the server's defaults) once it is full.
 * Every table of a fresh generation crosses autovacuum's insert threshold within its first second, so
 * autovacuum otherwise scans the pages the replay is still writing, sets their hint bits (a full-page
 * image each: this cluster has data checksums) and does it again as the table grows, on the core the
 * rebuild process needs (0–19% of a core in the replays measured). Nothing reads a generation before
 * its switch-over, so its first vacuum loses nothing by coming after the replay (the rebuild runs it
 * itself, before the switch: ReadModelStatistics).
 */
export async function setGenerationAutovacuum(sql: Sql, schema: string, enabled: boolean): Promise<void> {
  for (const table of [...READ_MODEL_TABLES, 'projection_positions', 'projection_offsets']) {
    await sql(`ALTER TABLE "${schema}".${table} ${enabled ? 'RESET (autovacuum_enabled, toast.autovacuum_enabled)' : 'SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)'}`);
  }
}

/** Points the service schema's views at a generation. Run inside a transaction to switch atomically. */
export async function pointViewsAt(sql: Sql, schema: string): Promise<void> {
  for (const table of READ_MODEL_TABLES) {
    await sql(`DROP VIEW IF EXISTS "${SERVICE_SCHEMA}".${table}`);
    await sql(`CREATE VIEW "${SERVICE_SCHEMA}".${table} AS SELECT * FROM "${schema}".${table}`);
  }
  await sql(`DROP VIEW IF EXISTS "${SERVICE_SCHEMA}".applied_offsets`);
  await sql(`CREATE VIEW "${SERVICE_SCHEMA}".applied_offsets AS SELECT projection, topic, partition, next_offset FROM "${schema}".projection_offsets`);
}
