/**
 * The event store port. Streams hold one aggregate's events (`directory_user:{dir}:{user}`, ...), each
 * with a 1-based version; the store as a whole has a global read order (`readAll`) in which an event
 * never appears after events that committed later than it — so a reader that checkpoints its position
 * can never skip an event that committed late.
 */

/** An event to append. `id` is chosen by the caller, so a retried append is idempotent. */
export interface NewEvent {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadataRecord;
}

export type EventMetadataRecord = Readonly<Record<string, unknown>>;

/**
 * Position in the global order: the committing transaction first, then the insertion sequence. Every
 * transaction with a smaller id than the oldest one still running has finished, so nothing can ever
 * appear before a position once it has been read.
 */
export interface GlobalPosition {
  readonly transactionId: bigint;
  readonly sequence: bigint;
}

export const START: GlobalPosition = { transactionId: 0n, sequence: 0n };

export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  /** 1 for the first event of a stream. */
  readonly streamVersion: number;
  readonly position: GlobalPosition;
  readonly recordedAt: Date;
}

/**
 * `number`: the stream's current version must be exactly this (0 = the stream must not exist yet).
 * `'any'`: append wherever the stream is. `'no_stream'` is the same as 0.
 */
export type ExpectedVersion = number | 'any' | 'no_stream';

export interface AppendResult {
  /** The stream's version after the append: pass it as the next expectedVersion. */
  readonly nextExpectedVersion: number;
  /** True when every event id was already in the stream (a retried append): nothing was written. */
  readonly alreadyAppended: boolean;
}

export interface ReadAllOptions {
  readonly after?: GlobalPosition;
  readonly limit?: number;
}

export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], options: { expectedVersion: ExpectedVersion }): Promise<AppendResult>;
  /** The stream's events from `fromVersion` (default 1), in version order; [] for an unknown stream. */
  readStream(streamId: string, options?: { fromVersion?: number }): Promise<RecordedEvent[]>;
  /** Up to `limit` events after `after`, in global order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Calls `handler` with every batch of events after `after`, in global order, as they commit, until
   * the returned subscription is stopped. A failing handler stops the subscription with its error.
   */
  subscribe(handler: (events: readonly RecordedEvent[]) => Promise<void>, options?: SubscribeOptions): Subscription;
}

export interface SubscribeOptions {
  readonly after?: GlobalPosition;
  readonly batchSize?: number;
  /** Fallback poll interval; new commits also wake the subscription at once where the store can. */
  readonly pollIntervalMs?: number;
  /** Where the store wakes subscriptions on commit: wait this long after a wake-up so appends batch up. */
  readonly coalesceMs?: number;
  /** Only wait (up to `coalesceMs`) above this many events per second; below, read at once (see pollingSubscription). */
  readonly coalesceAbovePerSecond?: number;
}

export interface Subscription {
  /** Resolves when the subscription has stopped; rejects with the handler's error if it failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /**
   * Reads at once (no poll interval, no coalescing) until a read comes back short, and resolves when
   * everything stored before the call has been handled; rejects if the subscription ends first.
   */
  drain(): Promise<void>;
}

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence ? -1 : 1;
  return 0;
}

export function formatPosition(p: GlobalPosition): string {
  return `${p.transactionId}/${p.sequence}`;
}

export function parsePosition(text: string): GlobalPosition {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new Error(`not a global position: ${JSON.stringify(text)}`);
  return { transactionId: BigInt(match[1] as string), sequence: BigInt(match[2] as string) };
}
