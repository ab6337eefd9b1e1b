import { randomUUID } from 'node:crypto';
import { streamIds } from '@scimbridge/contracts';
import { ConcurrencyError, type PostgresEventStore } from '@scimbridge/event-store';
import type { BackgroundWorker } from '@scimbridge/messaging';
import { toNewEvents, type Causation, type DecidedEvent } from '../domain/event-wrapping';
import { decideGroup, groupStateOf } from '../domain/group.decider';
import { decideUser, userStateOf } from '../domain/user.decider';
import type { DirectoriesRepository } from '../persistence/directories.repository';
import type { ResourcesRepository, ResourceType } from '../persistence/resources.repository';
import type { DirectoryService } from './directory.service';

export interface DirectoryDeletionsOptions {
  /**
   * How long after the request the deprovisioning starts: requests that were already authenticated
   * (other replicas keep a grant for up to SCIM_AUTH_CACHE_MS) finish first, so nothing of the IdP's
   * lands after the directory's last event.
   */
  readonly graceMs: number;
  /** Resources per transaction. */
  readonly chunk: number;
  readonly logger: { log(message: string): void; warn(message: string): void };
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * Runs directory deletions in the background: every group gets GroupDeleted, then every user
 * UserDeprovisioned (the events an app already handles when the IdP deletes them; role-assignment
 * revokes their roles), a chunk per transaction, and DirectoryDeleted comes last. The request is an
 * event on the directory's stream and a column on its row, so a deletion cut short by a restart is
 * resumed by the next start; every step is idempotent (a chunk sees only rows that still exist).
 */
export class DirectoryDeletions implements BackgroundWorker {
  readonly workerName = 'scim-ingress directory deletions';
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  /** Wakes every sleeping job when stop() is called, so shutting down never waits out a back-off. */
  private wakeAll = new AbortController();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly directories: DirectoriesRepository,
    private readonly resources: ResourcesRepository,
    private readonly service: DirectoryService,
    private readonly options: DirectoryDeletionsOptions,
  ) {}

  async migrate(): Promise<void> {
    // Tables belong to the ingress's state worker.
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.wakeAll = new AbortController();
    for (const directoryId of await this.directories.unfinishedDeletions()) {
      this.options.logger.log(`resuming the deletion of directory ${directoryId}`);
      this.run(directoryId);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeAll.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Starts (or joins) the background deletion of a directory whose deletion was requested. */
  run(directoryId: string): Promise<void> {
    const existing = this.running.get(directoryId);
    if (existing) return existing;
    const job = this.deleteUntilDone(directoryId).finally(() => this.running.delete(directoryId));
    this.running.set(directoryId, job);
    return job;
  }

  private async deleteUntilDone(directoryId: string): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt += 1) {
      try {
        await this.deleteOnce(directoryId);
        return;
      } catch (error) {
        // Postgres away, a restart of it, …: keep going until it works (the request is durable anyway).
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.options.logger.warn(`deleting directory ${directoryId} failed (attempt ${attempt}), again in ${delay} ms: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(delay);
      }
    }
  }

  private async deleteOnce(directoryId: string): Promise<void> {
    const progress = await this.directories.deletionProgress(directoryId);
    if (!progress) return;
    const waited = Date.now() - progress.requestedAt.getTime();
    if (waited < this.options.graceMs) await this.sleep(this.options.graceMs - waited);
    const causation: Causation = {
      directoryId,
      organizationId: progress.organizationId,
      requestId: randomUUID(),
      actor: { kind: 'management-api' },
      at: new Date(),
    };
    // Groups first: once they are gone no membership is left to change when the users go. Then users;
    // and again until both are empty (a write the IdP had in flight may have added one).
    for (;;) {
      if (this.stopped) return;
      const groups = await this.purge(directoryId, 'Group', causation);
      const users = await this.purge(directoryId, 'User', causation);
      if (groups === 0 && users === 0) break;
    }
    const done = await this.directories.deletionProgress(directoryId);
    if (!done) return;
    await this.service.completeDeletion(directoryId, { deprovisionedUsers: done.deprovisionedUsers, deletedGroups: done.deletedGroups });
    this.options.logger.log(`directory ${directoryId} deleted: ${done.deprovisionedUsers} users deprovisioned, ${done.deletedGroups} groups deleted`);
  }

  /** Deletes every resource of one type, a chunk per transaction; returns how many it deleted. */
  private async purge(directoryId: string, type: ResourceType, causation: Causation): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) return total;
      const ids = await this.resources.someIds(directoryId, type, this.options.chunk);
      if (ids.length === 0) return total;
      total += await this.purgeChunk(directoryId, type, ids, causation);
    }
  }

  private async purgeChunk(directoryId: string, type: ResourceType, ids: readonly string[], causation: Causation): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const deleted = await this.store.withTransaction(
          async (tx) => {
            const rows = await this.resources.lockMany(tx.client, directoryId, type, ids);
            const appends: { streamId: string; event: ReturnType<typeof toNewEvents>[number] }[] = [];
            for (const row of rows) {
              const decided: DecidedEvent[] =
                type === 'User' ? decideUser({ kind: 'DeprovisionUser' }, userStateOf(row.resource)) : decideGroup({ kind: 'DeleteGroup' }, groupStateOf(row.resource));
              const streamId = type === 'User' ? streamIds.user(directoryId, row.id) : streamIds.group(directoryId, row.id);
              for (const event of toNewEvents(decided, { ...causation, at: new Date() })) appends.push({ streamId, event });
            }
            const locked = rows.map((r) => r.id);
            await this.resources.deleteMany(tx.client, directoryId, type, locked);
            await this.store.appendToStreamsIn(tx.client, appends);
            await this.directories.countDeprovisioned(tx.client, directoryId, type === 'User' ? locked.length : 0, type === 'Group' ? locked.length : 0);
            return locked.length;
          },
          { savepoints: false },
        );
        this.store.notifyAppended();
        return deleted;
      } catch (error) {
        const retryable = error instanceof ConcurrencyError || RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
        if (!retryable || attempt >= 8) throw error;
        await this.sleep(Math.random() * 10 * attempt);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.wakeAll.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
