import {
  ANY,
  END,
  EventStoreDBClient,
  NO_STREAM,
  START as ESDB_START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import { ConcurrencyError } from '../event-store.errors';
import {
  START,
  comparePositions,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type GlobalPosition,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../subscription';

/**
 * The same port on EventStoreDB (@eventstore/db-client, gRPC). Stream versions are 1-based here and
 * revisions 0-based there; the global position maps to EventStoreDB's (commit, prepare) log position,
 * which already has the never-skip property the PostgreSQL store builds with transaction ids.
 * EventStoreDB dedupes appends by event id itself, which gives the idempotent retry.
 */
export class EventStoreDbEventStore implements EventStore {
  constructor(private readonly client: EventStoreDBClient) {}

  static fromConnectionString(url: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(url));
  }

  async append(streamId: string, events: readonly NewEvent[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const expectedRevision = toExpectedRevision(options.expectedVersion);
    const before = await this.readStream(streamId);
    const known = new Set(before.map((e) => e.id));
    const retried = events.every((e) => known.has(e.id));
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((e) =>
          jsonEvent({
            id: e.id,
            type: e.type,
            data: e.data as JSONType,
            metadata: { ...e.metadata, schemaVersion: e.schemaVersion } as JSONType,
          }),
        ),
        { expectedRevision },
      );
      return { nextExpectedVersion: Number(result.nextExpectedRevision) + 1, alreadyAppended: retried };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        if (retried) {
          const last = before.filter((e) => events.some((n) => n.id === e.id)).at(-1);
          return { nextExpectedVersion: last?.streamVersion ?? before.length, alreadyAppended: true };
        }
        throw new ConcurrencyError(streamId, options.expectedVersion, await this.currentVersion(streamId));
      }
      throw error;
    }
  }

  async readStream(streamId: string, options: { fromVersion?: number } = {}): Promise<RecordedEvent[]> {
    const result: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: BigInt(Math.max(0, (options.fromVersion ?? 1) - 1)),
        direction: 'forwards',
      })) {
        const recorded = toRecorded(resolved.event);
        if (recorded) result.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return result;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? START;
    const limit = options.limit ?? 1000;
    const fromPosition: ReadPosition =
      comparePositions(after, START) === 0 ? ESDB_START : { commit: after.transactionId, prepare: after.sequence };
    const result: RecordedEvent[] = [];
    // fromPosition is inclusive there and exclusive here, and system events ($...) are not ours.
    for await (const resolved of this.client.readAll({ fromPosition, direction: 'forwards', maxCount: limit + 1 })) {
      const recorded = toRecorded(resolved.event);
      if (!recorded || recorded.type.startsWith('$') || recorded.streamId.startsWith('$')) continue;
      if (comparePositions(recorded.position, after) <= 0) continue;
      result.push(recorded);
      if (result.length >= limit) break;
    }
    return result;
  }

  subscribe(handler: (events: readonly RecordedEvent[]) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    return pollingSubscription({
      read: (after, limit) => this.readAll({ after, limit }),
      handler,
      after: options.after ?? START,
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 100,
    });
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }

  private async currentVersion(streamId: string): Promise<number> {
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: END, direction: 'backwards', maxCount: 1 })) {
        if (resolved.event) return Number(resolved.event.revision) + 1;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return 0;
      throw error;
    }
    return 0;
  }
}

function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream' || expected === 0) return NO_STREAM;
  return BigInt(expected - 1);
}

interface EsdbRecordedEvent {
  id: string;
  type: string;
  streamId: string;
  revision: bigint;
  data: unknown;
  metadata: unknown;
  created: Date;
  position?: Position;
}

function toRecorded(event: EsdbRecordedEvent | undefined): RecordedEvent | undefined {
  if (!event) return undefined;
  const metadata = (typeof event.metadata === 'object' && event.metadata !== null ? event.metadata : {}) as Record<string, unknown>;
  const { schemaVersion, ...rest } = metadata;
  const position: GlobalPosition = event.position
    ? { transactionId: event.position.commit, sequence: event.position.prepare }
    : START;
  return {
    id: event.id,
    type: event.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: event.data,
    metadata: rest,
    streamId: event.streamId,
    streamVersion: Number(event.revision) + 1,
    position,
    recordedAt: event.created instanceof Date ? event.created : new Date(event.created),
  };
}
