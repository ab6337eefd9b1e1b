import { randomUUID } from 'node:crypto';
import { streamIds } from '@scimbridge/contracts';
import type { PostgresEventStore } from '@scimbridge/event-store';
import type { BackgroundWorker } from '@scimbridge/messaging';
import type { Pool } from 'pg';
import { toNewEvents, type Causation, type DecidedEvent } from '../domain/event-wrapping';
import { decideGroup, groupStateOf } from '../domain/group.decider';
import { decideUser, userStateOf } from '../domain/user.decider';
import type { DirectoriesRepository } from '../persistence/directories.repository';
import type { ResourcesRepository, ResourceType } from '../persistence/resources.repository';
import type { DirectoryService } from '../management/directory.service';
import type { ResyncsRepository } from '../persistence/resyncs.repository';
import { retryConflicts } from '../persistence/conflicts';
import { DurableJobs } from './durable-jobs';

export interface DirectoryDeletionsOptions {
  /**
   * How long after the request the deprovisioning starts: requests that were already authenticated
   * (other replicas keep a grant for up to SCIM_AUTH_CACHE_MS) finish first, so nothing of the IdP's
   * lands after the directory's last event.
   */
  readonly graceMs: number;
  /** Resources per transaction. */
  readonly chunk: number;
  /** Connections for the job claims (a session advisory lock per running job). */
  readonly pool: Pool;
  /** How often every replica looks for unfinished deletions (taking over those of a replica that stopped). */
  readonly sweepMs: number;
  readonly logger: { log(message: string): void; warn(message: string): void };
}

/**
 * Runs directory deletions in the background: every group gets GroupDeleted, then every user
 * UserDeprovisioned (the events an app already handles when the IdP deletes them; role-assignment
 * revokes their roles), a chunk per transaction, and DirectoryDeleted comes last. The request is an
 * event on the directory's stream and a column on its row, so a deletion cut short by a restart is
 * resumed by the next start; every step is idempotent (a chunk sees only rows that still exist).
 */
export class DirectoryDeletions implements BackgroundWorker {
  readonly workerName = 'scim-ingress directory deletions';
  private readonly jobs: DurableJobs;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly directories: DirectoriesRepository,
    private readonly resources: ResourcesRepository,
    private readonly resyncs: ResyncsRepository,
    private readonly service: DirectoryService,
    private readonly options: DirectoryDeletionsOptions,
  ) {
    this.jobs = new DurableJobs('deleting directory', options.pool, options.logger);
  }

  async migrate(): Promise<void> {
    // Tables belong to the ingress's state worker.
  }

  async start(): Promise<void> {
    this.jobs.start(() => this.directories.unfinishedDeletions(), (directoryId) => this.deleteOnce(directoryId), this.options.sweepMs);
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /** Starts (or joins) the background deletion of a directory whose deletion was requested. */
  run(directoryId: string): Promise<void> {
    return this.jobs.run(directoryId, () => this.deleteOnce(directoryId));
  }

  private async deleteOnce(directoryId: string): Promise<void> {
    const progress = await this.directories.deletionProgress(directoryId);
    if (!progress) return;
    const waited = Date.now() - progress.requestedAt.getTime();
    if (waited < this.options.graceMs) await this.jobs.sleep(this.options.graceMs - waited);
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
      if (this.jobs.stopped) return;
      const groups = await this.purge(directoryId, 'Group', causation);
      const users = await this.purge(directoryId, 'User', causation);
      if (groups === 0 && users === 0) break;
    }
    // A resync still running stops at its next chunk (it sees the deletion): DirectoryDeleted stays last.
    while (await this.resyncs.anyRunning(directoryId)) {
      if (this.jobs.stopped) return;
      await this.jobs.sleep(100);
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
      if (this.jobs.stopped) return total;
      const ids = await this.resources.someIds(directoryId, type, this.options.chunk);
      if (ids.length === 0) return total;
      total += await this.purgeChunk(directoryId, type, ids, causation);
    }
  }

  private async purgeChunk(directoryId: string, type: ResourceType, ids: readonly string[], causation: Causation): Promise<number> {
    const deleted = await retryConflicts(
      () =>
        this.store.withTransaction(
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
        ),
    );
    this.store.notifyAppended();
    return deleted;
  }
}
