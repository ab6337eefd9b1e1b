import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables of entities.ts. Plain names: the read-model connection's search_path is `role_assignment`. */
export class InitialTables1764806400000 implements MigrationInterface {
  readonly name = 'InitialTables1764806400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE known_organizations (
        organization_id uuid PRIMARY KEY,
        catalog_version int NOT NULL DEFAULT 0
      )`);
    await runner.query(`
      CREATE TABLE role_catalog (
        organization_id uuid NOT NULL,
        role_key text NOT NULL,
        display_name text NOT NULL,
        description text,
        position int NOT NULL,
        PRIMARY KEY (organization_id, role_key)
      )`);
    await runner.query(`
      CREATE TABLE mapping_sets (
        directory_id uuid PRIMARY KEY,
        version int NOT NULL,
        mappings jsonb NOT NULL,
        default_role text,
        default_applies_to text CHECK (default_applies_to IN ('unassigned', 'everyone')),
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE known_directories (
        directory_id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        provider text NOT NULL,
        name text,
        default_role text,
        default_applies_to text CHECK (default_applies_to IN ('unassigned', 'everyone'))
      )`);
    await runner.query('CREATE INDEX known_directories_organization_idx ON known_directories (organization_id)');
    await runner.query(`
      CREATE TABLE directory_users (
        directory_id uuid NOT NULL,
        user_id text NOT NULL,
        user_name text NOT NULL,
        active boolean NOT NULL,
        PRIMARY KEY (directory_id, user_id)
      )`);
    await runner.query(`
      CREATE TABLE directory_groups (
        directory_id uuid NOT NULL,
        group_id text NOT NULL,
        display_name text NOT NULL,
        PRIMARY KEY (directory_id, group_id)
      )`);
    await runner.query(`
      CREATE TABLE group_members (
        directory_id uuid NOT NULL,
        group_id text NOT NULL,
        user_id text NOT NULL,
        PRIMARY KEY (directory_id, group_id, user_id)
      )`);
    await runner.query('CREATE INDEX group_members_user_idx ON group_members (directory_id, user_id)');
    await runner.query(`
      CREATE TABLE group_roles (
        directory_id uuid NOT NULL,
        group_id text NOT NULL,
        role_key text NOT NULL,
        PRIMARY KEY (directory_id, group_id, role_key)
      )`);
    await runner.query(`
      CREATE TABLE role_grants (
        directory_id uuid NOT NULL,
        user_id text NOT NULL,
        role_key text NOT NULL,
        via_group_ids text[] NOT NULL,
        granted_at timestamptz NOT NULL,
        PRIMARY KEY (directory_id, user_id, role_key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['role_grants', 'group_roles', 'group_members', 'directory_groups', 'directory_users', 'known_directories', 'mapping_sets', 'role_catalog', 'known_organizations']) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
