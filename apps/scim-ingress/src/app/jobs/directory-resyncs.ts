import { randomUUID } from 'node:crypto';
import { groupStateFromResource, streamIds, userStateFromResource, type EventActor } from '@scimbridge/contracts';
import { type NewEvent, type PostgresEventStore } from '@scimbridge/event-store';
import type { BackgroundWorker } from '@scimbridge/messaging';
import type { Pool } from 'pg';
import { DirectoryRejection } from '../domain/directory.decider';
import { toNewEvents, type Causation, type DecidedEvent } from '../domain/event-wrapping';
import type { DirectoriesRepository } from '../persistence/directories.repository';
import type { ResyncRow, ResyncsRepository } from '../persistence/resyncs.repository';
import { retryConflicts } from '../persistence/conflicts';
import { DurableJobs } from './durable-jobs';

export interface DirectoryResyncsOptions {
  /** Resources per transaction (and per append to the resync stream). */
  readonly chunk: number;
  /** Connections for the job claims (a session advisory lock per running job). */
  readonly pool: Pool;
  /** How often every replica looks for unfinished resyncs (taking over those of a replica that stopped). */
  readonly sweepMs: number;
  readonly logger: { log(message: string): void; warn(message: string): void };
}

const MANAGEMENT: EventActor = { kind: 'management-api' };

/**
 * Full-state resync of a directory (`POST /api/v1/directories/{id}/resync`): on its own stream
 * `directory_resync:{directoryId}:{resyncId}`, DirectoryResyncStarted, a GroupResynced per group and a
 * UserResynced per user (the state as the ingress has it now, with the sequence of the resource's own
 * stream that state is as of), then DirectoryResyncCompleted. Nothing in the directory changes; apps
 * upsert what they get and treat what they did not get as drift. The request is a row and the Started
 * event in one transaction; a chunk's events and the row's progress commit together, so a restart
 * resumes after the last chunk sent. Resource rows are read, not locked: each row holds its resource and
 * its stream's version together, so a state is always paired with the sequence it is as of, and SCIM
 * writes never wait for a resync.
 */
export class DirectoryResyncs implements BackgroundWorker {
  readonly workerName = 'scim-ingress directory resyncs';
  private readonly jobs: DurableJobs;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly directories: DirectoriesRepository,
    private readonly resyncs: ResyncsRepository,
    private readonly options: DirectoryResyncsOptions,
  ) {
    this.jobs = new DurableJobs('resync', options.pool, options.logger);
  }

  async migrate(): Promise<void> {
    // Tables belong to the ingress's state worker.
  }

  async start(): Promise<void> {
    this.jobs.start(() => this.resyncs.unfinished(), (resyncId) => this.send(resyncId), this.options.sweepMs);
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /**
   * Starts a resync of an existing directory: the Started event and the progress row in one transaction.
   * One at a time per directory: a second request gets the running one back (`started: false`).
   */
  async request(directoryId: string, organizationId: string): Promise<{ resync: ResyncRow; started: boolean }> {
    const outcome = await this.store.withTransaction(async (tx) => {
      const running = await this.resyncs.runningFor(tx.client, directoryId);
      if (running) return { resyncId: running.resyncId, started: false };
      const directory = await this.directories.directory(directoryId, tx.client);
      if (!directory || directory.deletionRequestedAt !== null) throw new DirectoryRejection('not_found', 'directory not found');
      const resyncId = randomUUID();
      const requestedAt = new Date();
      const counts = await this.resyncs.counts(tx.client, directoryId);
      await this.resyncs.insert(tx.client, { resyncId, directoryId, requestedAt, userCount: counts.users, groupCount: counts.groups });
      const started: DecidedEvent = { type: 'DirectoryResyncStarted', schemaVersion: 1, data: { directoryId, resyncId, userCount: counts.users, groupCount: counts.groups } };
      await tx.append(streamIds.resync(directoryId, resyncId), toNewEvents([started], causationFor(directoryId, organizationId, resyncId)), { expectedVersion: 0 });
      return { resyncId, started: true };
    });
    this.store.notifyAppended();
    if (outcome.started) void this.run(outcome.resyncId);
    const resync = await this.resyncs.get(outcome.resyncId);
    if (!resync) throw new Error(`resync ${outcome.resyncId} vanished`);
    return { resync, started: outcome.started };
  }

  /** Starts (or joins) sending a requested resync. */
  run(resyncId: string): Promise<void> {
    return this.jobs.run(resyncId, () => this.send(resyncId));
  }

  private async send(resyncId: string): Promise<void> {
    for (;;) {
      if (this.jobs.stopped) return;
      const resync = await this.resyncs.get(resyncId);
      if (!resync || resync.completedAt !== null) return;
      const directory = await this.directories.directory(resync.directoryId);
      if (!directory || directory.deletionRequestedAt !== null) {
        // Being deleted: its deletion's DirectoryDeleted must stay the directory's last event.
        await this.resyncs.finish(resyncId, 'cancelled', new Date());
        this.options.logger.log(`resync ${resyncId} cancelled: directory ${resync.directoryId} is being deleted`);
        return;
      }
      if (resync.phase === 'done') return;
      await this.sendChunk(resync, directory.organizationId);
    }
  }

  /** The next chunk of the current phase, or the move to the next phase (the Completed event at the end). */
  private async sendChunk(read: ResyncRow, organizationId: string): Promise<void> {
    const { resyncId, directoryId } = read;
    const stream = streamIds.resync(directoryId, resyncId);
    const causation = causationFor(directoryId, organizationId, resyncId);
    await retryConflicts(
      () =>
        this.store.withTransaction(
          async (tx) => {
            // The progress as committed, locked: what this chunk continues from.
            const resync = await this.resyncs.get(resyncId, tx.client, { lock: true });
            if (!resync || resync.completedAt !== null) return;
            const phase = resync.phase;
            if (phase === 'done') return;
            const rows = await this.resyncs.nextResources(tx.client, directoryId, phase, resync.afterId, this.options.chunk);
            if (rows.length === 0) {
              if (phase === 'Group') {
                await this.resyncs.advance(tx.client, resyncId, 'User', null, 0, 0);
                return;
              }
              const completed: DecidedEvent = {
                type: 'DirectoryResyncCompleted',
                schemaVersion: 1,
                data: { directoryId, resyncId, userCount: resync.usersSent, groupCount: resync.groupsSent },
              };
              await this.append(tx.client, stream, toNewEvents([completed], { ...causation, at: new Date() }));
              await this.resyncs.finish(resyncId, 'completed', new Date(), tx.client);
              return;
            }
            const decided: DecidedEvent[] = rows.map((row) =>
              phase === 'User'
                ? { type: 'UserResynced', schemaVersion: 1, data: { ...userStateFromResource(row.resource), resyncId, userSequence: row.streamVersion } }
                : { type: 'GroupResynced', schemaVersion: 1, data: { ...groupStateFromResource(row.resource), resyncId, groupSequence: row.streamVersion } },
            );
            await this.append(tx.client, stream, toNewEvents(decided, { ...causation, at: new Date() }));
            const last = rows[rows.length - 1]?.id ?? null;
            await this.resyncs.advance(tx.client, resyncId, phase, last, phase === 'User' ? rows.length : 0, phase === 'Group' ? rows.length : 0);
          },
          { savepoints: false },
        ),
    );
    this.store.notifyAppended();
  }

  private async append(client: Parameters<PostgresEventStore['appendToStreamsIn']>[0], stream: string, events: readonly NewEvent[]): Promise<void> {
    await this.store.appendToStreamsIn(
      client,
      events.map((event) => ({ streamId: stream, event })),
    );
  }
}

function causationFor(directoryId: string, organizationId: string, resyncId: string): Causation {
  return { directoryId, organizationId, requestId: resyncId, actor: MANAGEMENT, at: new Date() };
}
