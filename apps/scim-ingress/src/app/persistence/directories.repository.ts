import type { Pool, PoolClient } from 'pg';

type Db = Pick<Pool, 'query'> | PoolClient;

export interface OrganizationRow {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface DirectoryRow {
  readonly id: string;
  readonly organizationId: string;
  readonly provider: string;
  readonly name: string | null;
  readonly enabled: boolean;
  readonly streamVersion: number;
  readonly createdAt: Date;
  /** Set when a deletion began: from then on the directory is gone for IdPs and the management API. */
  readonly deletionRequestedAt: Date | null;
  /** Set when the deletion finished (DirectoryDeleted). */
  readonly deletedAt: Date | null;
}

/** A deletion's progress: what it deprovisioned so far (it may have been resumed after a restart). */
export interface DeletionProgress {
  readonly directoryId: string;
  readonly organizationId: string;
  readonly requestedAt: Date;
  readonly deprovisionedUsers: number;
  readonly deletedGroups: number;
}

export interface TokenRow {
  readonly id: string;
  readonly directoryId: string;
  readonly lastFour: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** What authenticating a SCIM request needs, in one indexed lookup by token hash. */
export interface TokenGrant {
  readonly tokenId: string;
  readonly tokenHash: Buffer;
  readonly directoryId: string;
  readonly organizationId: string;
  readonly provider: string;
  readonly directoryEnabled: boolean;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** Organizations, directories and token hashes: state derived from their streams, written with the events. */
export class DirectoriesRepository {
  constructor(private readonly pool: Pool) {}

  async insertOrganization(client: PoolClient, org: OrganizationRow): Promise<void> {
    await client.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)', [org.id, org.name, org.createdAt]);
  }

  async organization(id: string, db: Db = this.pool): Promise<OrganizationRow | undefined> {
    const { rows } = await db.query<{ id: string; name: string; created_at: Date }>('SELECT id, name, created_at FROM organizations WHERE id = $1', [id]);
    const r = rows[0];
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : undefined;
  }

  async upsertDirectory(client: PoolClient, d: DirectoryRow): Promise<void> {
    await client.query(
      `INSERT INTO directories (id, organization_id, provider, name, enabled, stream_version, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET enabled = EXCLUDED.enabled, stream_version = EXCLUDED.stream_version, name = EXCLUDED.name`,
      [d.id, d.organizationId, d.provider, d.name, d.enabled, d.streamVersion, d.createdAt],
    );
  }

  async directory(id: string, db: Db = this.pool): Promise<DirectoryRow | undefined> {
    const { rows } = await db.query<DirectoryDbRow>(`SELECT ${DIRECTORY_COLUMNS} FROM directories WHERE id = $1`, [id]);
    return rows[0] ? directoryFromRow(rows[0]) : undefined;
  }

  /** The organization's directories, without those being deleted or deleted. */
  async directoriesOf(organizationId: string): Promise<DirectoryRow[]> {
    const { rows } = await this.pool.query<DirectoryDbRow>(
      `SELECT ${DIRECTORY_COLUMNS} FROM directories WHERE organization_id = $1 AND deletion_requested_at IS NULL ORDER BY created_at, id`,
      [organizationId],
    );
    return rows.map(directoryFromRow);
  }

  async insertToken(client: PoolClient, token: TokenRow & { tokenHash: Buffer }): Promise<void> {
    await client.query(
      `INSERT INTO directory_tokens (id, directory_id, token_hash, last_four, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [token.id, token.directoryId, token.tokenHash, token.lastFour, token.createdAt, token.expiresAt],
    );
  }

  async revokeToken(client: PoolClient, tokenId: string, at: Date): Promise<void> {
    await client.query('UPDATE directory_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [tokenId, at]);
  }

  async tokens(directoryId: string): Promise<TokenRow[]> {
    const { rows } = await this.pool.query<TokenDbRow>(
      `SELECT id, directory_id, last_four, created_at, expires_at, revoked_at, last_used_at FROM directory_tokens WHERE directory_id = $1 ORDER BY created_at, id`,
      [directoryId],
    );
    return rows.map((r) => ({
      id: r.id,
      directoryId: r.directory_id,
      lastFour: r.last_four,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  async grantFor(tokenHash: Buffer): Promise<TokenGrant | undefined> {
    const { rows } = await this.pool.query<GrantDbRow>(
      `SELECT t.id, t.token_hash, t.directory_id, d.organization_id, d.provider, d.enabled, t.expires_at, t.revoked_at, t.last_used_at
         FROM directory_tokens t JOIN directories d ON d.id = t.directory_id
        WHERE t.token_hash = $1 AND d.deletion_requested_at IS NULL`,
      [tokenHash],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      tokenId: r.id,
      tokenHash: r.token_hash,
      directoryId: r.directory_id,
      organizationId: r.organization_id,
      provider: r.provider,
      directoryEnabled: r.enabled,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      lastUsedAt: r.last_used_at,
    };
  }

  async markDeletionRequested(client: PoolClient, directoryId: string, at: Date): Promise<void> {
    await client.query('UPDATE directories SET deletion_requested_at = $2 WHERE id = $1 AND deletion_requested_at IS NULL', [directoryId, at]);
  }

  /** Deletions begun and not finished: to resume after a restart. */
  async unfinishedDeletions(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM directories WHERE deletion_requested_at IS NOT NULL AND deleted_at IS NULL ORDER BY deletion_requested_at');
    return rows.map((r) => r.id);
  }

  async deletionProgress(directoryId: string, db: Db = this.pool): Promise<DeletionProgress | undefined> {
    const { rows } = await db.query<{ id: string; organization_id: string; deletion_requested_at: Date; deprovisioned_users: number; deleted_groups: number }>(
      'SELECT id, organization_id, deletion_requested_at, deprovisioned_users, deleted_groups FROM directories WHERE id = $1 AND deletion_requested_at IS NOT NULL',
      [directoryId],
    );
    const r = rows[0];
    return r ? { directoryId: r.id, organizationId: r.organization_id, requestedAt: r.deletion_requested_at, deprovisionedUsers: r.deprovisioned_users, deletedGroups: r.deleted_groups } : undefined;
  }

  async countDeprovisioned(client: PoolClient, directoryId: string, users: number, groups: number): Promise<void> {
    await client.query('UPDATE directories SET deprovisioned_users = deprovisioned_users + $2, deleted_groups = deleted_groups + $3 WHERE id = $1', [directoryId, users, groups]);
  }

  /** The deletion's end: no token of the directory works again. */
  async markDeleted(client: PoolClient, directoryId: string, at: Date): Promise<void> {
    await client.query('UPDATE directories SET deleted_at = $2, enabled = false WHERE id = $1', [directoryId, at]);
    await client.query('UPDATE directory_tokens SET revoked_at = $2 WHERE directory_id = $1 AND revoked_at IS NULL', [directoryId, at]);
  }

  /** Bookkeeping, not state: last-used times are not events (they would flood the stream). */
  async touchTokens(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query('UPDATE directory_tokens SET last_used_at = $2 WHERE id = ANY($1::text[])', [ids, at]);
  }
}

const DIRECTORY_COLUMNS = 'id, organization_id, provider, name, enabled, stream_version, created_at, deletion_requested_at, deleted_at';

interface DirectoryDbRow {
  id: string;
  organization_id: string;
  provider: string;
  name: string | null;
  enabled: boolean;
  stream_version: number;
  created_at: Date;
  deletion_requested_at: Date | null;
  deleted_at: Date | null;
}

interface TokenDbRow {
  id: string;
  directory_id: string;
  last_four: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

interface GrantDbRow {
  id: string;
  token_hash: Buffer;
  directory_id: string;
  organization_id: string;
  provider: string;
  enabled: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function directoryFromRow(r: DirectoryDbRow): DirectoryRow {
  return {
    id: r.id,
    organizationId: r.organization_id,
    provider: r.provider,
    name: r.name,
    enabled: r.enabled,
    streamVersion: r.stream_version,
    createdAt: r.created_at,
    deletionRequestedAt: r.deletion_requested_at,
    deletedAt: r.deleted_at,
  };
}
