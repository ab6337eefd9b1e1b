import type { Pool } from 'pg';
import { inTransaction } from '@scimbridge/service-kit';

/**
 * The ingress's own tables, next to its event store in its schema. All of them are state derived from
 * the event streams and written in the same transaction as the events (so SCIM reads are consistent and
 * can be rebuilt by replay) — except `scim_request_log`, which is support data with bounded retention.
 */
export async function migrateIngressSchema(pool: Pool, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${schema}.ingress.migrate`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.organizations (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.directories (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES ${s}.organizations (id),
        provider text NOT NULL,
        name text,
        enabled boolean NOT NULL,
        stream_version integer NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS directories_organization_idx ON ${s}.directories (organization_id)`);
    // Deletion (DirectoryDeletionRequested → background deprovisioning → DirectoryDeleted): the row
    // stays, so the id stays unusable and an unfinished deletion can be resumed after a restart.
    await client.query(`ALTER TABLE ${s}.directories ADD COLUMN IF NOT EXISTS deletion_requested_at timestamptz`);
    await client.query(`ALTER TABLE ${s}.directories ADD COLUMN IF NOT EXISTS deleted_at timestamptz`);
    await client.query(`ALTER TABLE ${s}.directories ADD COLUMN IF NOT EXISTS deprovisioned_users integer NOT NULL DEFAULT 0`);
    await client.query(`ALTER TABLE ${s}.directories ADD COLUMN IF NOT EXISTS deleted_groups integer NOT NULL DEFAULT 0`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.directory_tokens (
        id text PRIMARY KEY,
        directory_id text NOT NULL REFERENCES ${s}.directories (id),
        token_hash bytea NOT NULL UNIQUE,
        last_four text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS directory_tokens_directory_idx ON ${s}.directory_tokens (directory_id)`);
    // One row per live SCIM resource: what GET and filters read. unique_key = lower(userName) for
    // users, lower(displayName) for groups (uniqueness per directory, case-insensitive).
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.scim_resources (
        directory_id text NOT NULL,
        resource_type text NOT NULL,
        id text NOT NULL,
        unique_key text NOT NULL,
        resource jsonb NOT NULL,
        unknown_attributes jsonb,
        revision integer NOT NULL,
        stream_version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (directory_id, resource_type, id)
      )`);
    // Uncompressed TOAST for the resource JSON: a big group's row (~100 KB for 1,000 members) is read
    // and rewritten on every membership change, and pglz compressing/decompressing it was most of
    // PostgreSQL's CPU per PATCH (1.23 → 0.72 ms at 10 groups × 1,000, docs/benchmarks.md); this
    // PostgreSQL has no lz4. Rows under ~2 KB (users, small groups) are not TOASTed either way. Only when
    // not set yet: ALTER TABLE takes a table lock, which a replica starting must not take every time.
    const storage = await client.query<{ attstorage: string }>(
      `SELECT a.attstorage FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = 'resource'`,
      [`${s}.scim_resources`],
    );
    if (storage.rows[0]?.attstorage !== 'e') await client.query(`ALTER TABLE ${s}.scim_resources ALTER COLUMN resource SET STORAGE EXTERNAL`);
    await client.query(
      `CREATE UNIQUE INDEX IF NOT EXISTS scim_resources_unique_key_idx ON ${s}.scim_resources (directory_id, resource_type, unique_key)`,
    );
    await client.query(
      `CREATE INDEX IF NOT EXISTS scim_resources_external_id_idx ON ${s}.scim_resources (directory_id, resource_type, (resource ->> 'externalId'))`,
    );
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.group_members (
        directory_id text NOT NULL,
        group_id text NOT NULL,
        user_id text NOT NULL,
        PRIMARY KEY (directory_id, group_id, user_id)
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS group_members_user_idx ON ${s}.group_members (directory_id, user_id)`);
    // Full-state resyncs (POST /api/v1/directories/{id}/resync): progress, so a restart resumes one.
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.directory_resyncs (
        resync_id text PRIMARY KEY,
        directory_id text NOT NULL REFERENCES ${s}.directories (id),
        requested_at timestamptz NOT NULL,
        completed_at timestamptz,
        outcome text CHECK (outcome IN ('completed', 'cancelled')),
        phase text NOT NULL CHECK (phase IN ('Group', 'User', 'done')),
        after_id text,
        user_count integer NOT NULL,
        group_count integer NOT NULL,
        users_sent integer NOT NULL DEFAULT 0,
        groups_sent integer NOT NULL DEFAULT 0
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS directory_resyncs_running_idx ON ${s}.directory_resyncs (directory_id) WHERE completed_at IS NULL`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.scim_request_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        directory_id text NOT NULL,
        request_id text NOT NULL,
        received_at timestamptz NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        status integer NOT NULL,
        latency_ms real NOT NULL,
        token_id text,
        events jsonb NOT NULL,
        request_body jsonb,
        error text
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS scim_request_log_directory_idx ON ${s}.scim_request_log (directory_id, id DESC)`);
    await client.query(`CREATE INDEX IF NOT EXISTS scim_request_log_received_idx ON ${s}.scim_request_log (received_at)`);
    // Portal links: credentials to open the portal for one organization (hash only, like tokens). Access
    // data, not directory state: not event-sourced, and nothing downstream needs to know of them.
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.portal_links (
        id text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES ${s}.organizations (id),
        kind text NOT NULL CHECK (kind IN ('shareable', 'embedded')),
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        session_seconds integer NOT NULL,
        revoked_at timestamptz,
        used_at timestamptz
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS portal_links_organization_idx ON ${s}.portal_links (organization_id, created_at DESC)`);
  });
}
