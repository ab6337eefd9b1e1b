import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The app's tables (see ../entities.ts). Runs with search_path = the app's schema. */
export class CreateTables1796342400000 implements MigrationInterface {
  name = 'CreateTables1796342400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        directory_id     text        NOT NULL,
        user_id          text        NOT NULL,
        organization_id  text        NOT NULL,
        user_name        text,
        email            text,
        display_name     text,
        external_id      text,
        active           boolean     NOT NULL DEFAULT false,
        deprovisioned_at timestamptz,
        roles            text[]      NOT NULL DEFAULT '{}',
        group_ids        text[]      NOT NULL DEFAULT '{}',
        last_resync_id   text,
        updated_at       timestamptz NOT NULL,
        PRIMARY KEY (directory_id, user_id)
      )`);
    await db.query(`
      CREATE TABLE groups (
        directory_id   text        NOT NULL,
        group_id       text        NOT NULL,
        display_name   text        NOT NULL,
        last_resync_id text,
        updated_at     timestamptz NOT NULL,
        PRIMARY KEY (directory_id, group_id)
      )`);
    await db.query(`
      CREATE TABLE directories (
        directory_id    text        PRIMARY KEY,
        organization_id text        NOT NULL,
        provider        text,
        name            text,
        enabled         boolean     NOT NULL DEFAULT true,
        resync_id       text,
        deleted_at      timestamptz,
        updated_at      timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE subject_positions (
        subject    text        PRIMARY KEY,
        sequence   bigint      NOT NULL,
        event_id   uuid        NOT NULL,
        applied_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE rejected_messages (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        origin      text        NOT NULL,
        reason      text        NOT NULL,
        payload     text,
        received_at timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE rejected_messages, subject_positions, directories, groups, users');
  }
}
