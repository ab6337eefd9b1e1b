import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { streamIds, type EventActor } from '@scimbridge/contracts';
import { ConcurrencyError, type PostgresEventStore } from '@scimbridge/event-store';
import {
  decideDirectory,
  DirectoryRejection,
  evolveDirectory,
  foldDirectory,
  type DirectoryCommand,
  type DirectoryEvent,
} from '../domain/directory.decider';
import { toNewEvents } from '../domain/event-wrapping';
import { ORGANIZATION_CREATED } from '../domain/private-events';
import type { PoolClient } from 'pg';
import type { TokenGrantCache } from '../http/token-grant-cache';
import type { DirectoriesRepository, DirectoryRow, OrganizationRow, TokenRow } from '../persistence/directories.repository';

/** Bearer tokens: `scim_` + 32 random bytes (256 bits) in base64url. Only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'scim_';
const TOKEN_BYTES = 32;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

export const organizationStream = (id: string): string => `organization:${id}`;

export interface IssuedToken {
  readonly token: TokenRow;
  /** The secret: returned once, never stored, never logged. */
  readonly bearerToken: string;
}

const MANAGEMENT: EventActor = { kind: 'management-api' };

/**
 * Organizations, directories and their tokens, event-sourced: each command folds the directory's stream,
 * decides, and appends with the expected version in the same transaction that updates the derived tables
 * the SCIM side authenticates against.
 */
export class DirectoryService {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly directories: DirectoriesRepository,
    private readonly grants: TokenGrantCache,
  ) {}

  async createOrganization(name: string): Promise<OrganizationRow> {
    const org: OrganizationRow = { id: randomUUID(), name, createdAt: new Date() };
    await this.store.withTransaction(async (tx) => {
      await this.directories.insertOrganization(tx.client, org);
      await tx.append(
        organizationStream(org.id),
        [{ id: randomUUID(), type: ORGANIZATION_CREATED, schemaVersion: 1, data: { organizationId: org.id, name }, metadata: { organizationId: org.id, occurredAt: org.createdAt.toISOString(), actor: MANAGEMENT } }],
        { expectedVersion: 0 },
      );
    });
    return org;
  }

  async createDirectory(organizationId: string, provider: string, name: string | null, tokenTtlDays?: number): Promise<{ directory: DirectoryRow; issued: IssuedToken }> {
    if (!(await this.directories.organization(organizationId))) throw new DirectoryRejection('not_found', 'organization not found');
    const directoryId = randomUUID();
    const at = new Date();
    const token = prepareToken(directoryId, at, tokenTtlDays);
    const directory = await this.execute(
      directoryId,
      organizationId,
      [{ kind: 'CreateDirectory', directoryId, organizationId, provider, name }, token.command],
      at,
      (client) => this.directories.insertToken(client, token.row),
      new Map([[token.row.id, token.row.tokenHash]]),
    );
    return { directory, issued: token.issued };
  }

  async issueToken(directoryId: string, tokenTtlDays?: number): Promise<IssuedToken> {
    const existing = await this.requireDirectory(directoryId);
    const at = new Date();
    const token = prepareToken(directoryId, at, tokenTtlDays);
    await this.execute(directoryId, existing.organizationId, [token.command], at, (client) => this.directories.insertToken(client, token.row), new Map([[token.row.id, token.row.tokenHash]]));
    return token.issued;
  }

  async revokeToken(directoryId: string, tokenId: string): Promise<void> {
    const existing = await this.requireDirectory(directoryId);
    const at = new Date();
    await this.execute(directoryId, existing.organizationId, [{ kind: 'RevokeToken', tokenId }], at, async (client) => {
      await this.directories.revokeToken(client, tokenId, at);
    });
    this.grants.evictDirectory(directoryId);
  }

  async setEnabled(directoryId: string, enabled: boolean): Promise<DirectoryRow> {
    const existing = await this.requireDirectory(directoryId);
    const row = await this.execute(directoryId, existing.organizationId, [{ kind: enabled ? 'EnableDirectory' : 'DisableDirectory' }], new Date(), async () => undefined);
    this.grants.evictDirectory(directoryId);
    return row;
  }

  /**
   * Begins a deletion: from this commit on the directory is gone for IdPs (its tokens stop working) and
   * for the management API (404); DirectoryDeletions deprovisions its users and groups, then appends
   * DirectoryDeleted (completeDeletion). Asking again while it runs changes nothing.
   */
  async requestDeletion(directoryId: string): Promise<DirectoryRow> {
    const existing = await this.requireDirectory(directoryId);
    const at = new Date();
    const row = await this.execute(directoryId, existing.organizationId, [{ kind: 'RequestDeletion' }], at, (client) =>
      this.directories.markDeletionRequested(client, directoryId, at),
    );
    this.grants.evictDirectory(directoryId);
    return row;
  }

  /** The public last event, once every user and group is deprovisioned; also revokes every token. */
  async completeDeletion(directoryId: string, counts: { readonly deprovisionedUsers: number; readonly deletedGroups: number }): Promise<void> {
    const progress = await this.directories.deletionProgress(directoryId);
    if (!progress) throw new DirectoryRejection('not_found', 'no deletion of this directory was requested');
    const at = new Date();
    await this.execute(directoryId, progress.organizationId, [{ kind: 'CompleteDeletion', ...counts }], at, (client) => this.directories.markDeleted(client, directoryId, at));
    this.grants.evictDirectory(directoryId);
  }

  /** A directory the management API may act on: unknown, deleted and being-deleted ones are not found. */
  async requireDirectory(directoryId: string): Promise<DirectoryRow> {
    const directory = await this.directories.directory(directoryId);
    if (!directory || directory.deletionRequestedAt !== null) throw new DirectoryRejection('not_found', 'directory not found');
    return directory;
  }

  /** Fold, decide, append and update the derived row in one transaction; retried on a concurrent append. */
  private async execute(
    directoryId: string,
    organizationId: string,
    commands: readonly DirectoryCommand[],
    at: Date,
    alsoInTransaction: (client: PoolClient) => Promise<void>,
    tokenHashes: ReadonlyMap<string, Buffer> = new Map(),
  ): Promise<DirectoryRow> {
    const stream = streamIds.directory(directoryId);
    for (let attempt = 1; ; attempt += 1) {
      const history = (await this.store.readStream(stream)).map((e) => ({ type: e.type, schemaVersion: e.schemaVersion, data: e.data }) as DirectoryEvent);
      let state = foldDirectory(history);
      const decided: DirectoryEvent[] = [];
      for (const command of commands) {
        const events = decideDirectory(command, state);
        decided.push(...events);
        state = events.reduce(evolveDirectory, state);
      }
      try {
        return await this.store.withTransaction(async (tx) => {
          if (state.status === 'absent') throw new DirectoryRejection('not_found', 'directory not found');
          const stored = await this.directories.directory(directoryId, tx.client);
          const streamVersion = history.length + decided.length;
          const row: DirectoryRow =
            state.status === 'present'
              ? {
                  id: directoryId,
                  organizationId: state.organizationId,
                  provider: state.provider,
                  name: state.name,
                  enabled: state.enabled,
                  streamVersion,
                  createdAt: stored?.createdAt ?? at,
                  deletionRequestedAt: stored?.deletionRequestedAt ?? (state.deleting ? at : null),
                  deletedAt: null,
                }
              : { ...(stored as DirectoryRow), enabled: false, streamVersion, deletedAt: stored?.deletedAt ?? at };
          if (decided.length === 0) return row;
          await this.directories.upsertDirectory(tx.client, row);
          await alsoInTransaction(tx.client);
          const events = toNewEvents(decided, { directoryId, organizationId, requestId: randomUUID(), actor: MANAGEMENT, at }).map((event, i) => {
            const decidedEvent = decided[i] as DirectoryEvent;
            if (decidedEvent.type !== 'DirectoryTokenIssued') return event;
            // The token's hash rides in the ingress-private metadata, never in the published data, so
            // the auth table can be rebuilt from the stream. The envelope does not carry metadata.
            const hash = tokenHashes.get(decidedEvent.data.tokenId);
            return hash ? { ...event, metadata: { ...event.metadata, tokenSha256: hash.toString('hex') } } : event;
          });
          await tx.append(stream, events, { expectedVersion: history.length });
          return row;
        });
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < 5) continue;
        throw error;
      }
    }
  }
}

/** A new token: the secret for the response, the command for the stream, the hashed row for auth. */
function prepareToken(directoryId: string, at: Date, ttlDays: number | undefined): { issued: IssuedToken; command: DirectoryCommand; row: TokenRow & { tokenHash: Buffer } } {
  const bearerToken = newToken();
  const expiresAt = ttlDays ? new Date(at.getTime() + ttlDays * 86_400_000) : null;
  const token: TokenRow = { id: randomUUID(), directoryId, lastFour: bearerToken.slice(-4), createdAt: at, expiresAt, revokedAt: null, lastUsedAt: null };
  return {
    issued: { bearerToken, token },
    command: { kind: 'IssueToken', tokenId: token.id, lastFour: token.lastFour, createdAt: at.toISOString(), expiresAt: expiresAt?.toISOString() ?? null },
    row: { ...token, tokenHash: hashToken(bearerToken) },
  };
}
