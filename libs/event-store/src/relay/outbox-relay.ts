import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { START, formatPosition, type GlobalPosition, type RecordedEvent, type Subscription } from '../event-store.port';
import type { PostgresEventStore } from '../postgres/postgres-event-store';

/** What one stored event becomes on Kafka. Throwing marks the event as unpublishable (dead letter). */
export interface RelayMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RelayLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Test seam for crash simulation: each hook may throw to make the relay "die" at that point, exactly
 * as a killed process would (nothing after it runs; the next instance resumes from the checkpoint).
 */
export interface RelayFaults {
  afterPublish?(events: readonly RecordedEvent[]): void;
  afterCheckpoint?(events: readonly RecordedEvent[]): void;
}

export interface OutboxRelayOptions {
  /** Names the checkpoint and the leader lock, e.g. `scim-ingress.directory-events`. */
  readonly name: string;
  readonly pool: Pool;
  readonly schema: string;
  readonly store: PostgresEventStore;
  readonly kafka: Kafka;
  /** `null`: the event is private to the owning service (kept in its store, never published). */
  readonly toMessage: (event: RecordedEvent) => RelayMessage | null;
  /** Where events that cannot be turned into a message go, with the reason; never silently dropped. */
  readonly deadLetterTopic: string;
  readonly batchSize?: number;
  /**
   * Largest produce request, in bytes of keys, values and headers (default 512 KiB). A batch of events
   * is sent as several requests in order when it is larger: a broker refuses a record batch over its
   * `message.max.bytes` (1 MiB by default) outright, and retrying that batch would stall the relay for
   * good. One event over it is sent alone; if the broker refuses it for its size it is dead-lettered.
   */
  readonly maxRequestBytes?: number;
  readonly pollIntervalMs?: number;
  /**
   * Wait this long after an append before reading (default 0), so events that arrive one by one go
   * out as one produce request: each request costs the broker far more than one more message in it.
   */
  readonly coalesceMs?: number;
  /**
   * Coalesce only under load (default: always): below this many events per second (the relay's reads
   * over the last second) an append is published at once, from there the wait grows to `coalesceMs` at
   * twice the rate. Appends made while a publish is in flight go out together right after it anyway.
   */
  readonly coalesceAbovePerSecond?: number;
  /** How long `stop` may spend publishing what is already stored (default 5 s; Kafka down: gives up). */
  readonly drainTimeoutMs?: number;
  /** How often a standby instance tries to take over leadership. */
  readonly standbyRetryMs?: number;
  readonly logger?: RelayLogger;
  readonly faults?: RelayFaults;
}

export type RelayState = 'stopped' | 'standby' | 'leading';

const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;
/** What Kafka's record format adds to each record beyond its key, value and headers (generous). */
const RECORD_OVERHEAD_BYTES = 64;

function sizeOf(message: RelayMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** Consecutive runs of at most `maxBytes` each (a single larger message forms a run of its own). */
function chunksOf<T extends { readonly message: RelayMessage }>(items: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item.message);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byTopic(messages: readonly RelayMessage[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const m of messages) {
    const list = topics.get(m.topic) ?? [];
    list.push({ key: m.key, value: m.value, headers: m.headers ? { ...m.headers } : undefined });
    topics.set(m.topic, list);
  }
  return [...topics.entries()].map(([topic, list]) => ({ topic, messages: list }));
}

/** The broker's refusal of a record batch over its size limit: a protocol error's type, maybe behind kafkajs's retry wrappers. */
function isTooLarge(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'].includes(String((e as { type?: unknown }).type))) return true;
  }
  return false;
}

const silent: RelayLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Transactional-outbox relay: the events table is the outbox. The leader (one per name, held with a
 * PostgreSQL session advisory lock, so any number of instances can run) reads events in global order
 * from its checkpoint, publishes them with an idempotent producer and `acks=all`, and only then moves
 * the checkpoint. Kafka being down stops the checkpoint, not the appends; a crash between publish and
 * checkpoint republishes that batch with the same event ids, which consumers dedupe. Key = directory
 * id keeps each directory's events in one partition, in store order.
 */
export class OutboxRelay {
  private state: RelayState = 'stopped';
  private stopping = false;
  private run: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private lockClient: PoolClient | undefined;
  private producer: Producer | undefined;
  private wakeStandby: (() => void) | undefined;
  private readonly log: RelayLogger;
  private published = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.log = options.logger ?? silent;
  }

  get workerName(): string {
    return `outbox-relay ${this.options.name}`;
  }

  get status(): { state: RelayState; published: number } {
    return { state: this.state, published: this.published };
  }

  async migrate(): Promise<void> {
    await this.options.pool.query(`
      CREATE TABLE IF NOT EXISTS "${this.options.schema}".relay_checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  start(): void {
    if (this.run) return;
    this.stopping = false;
    this.run = this.loop();
  }

  /**
   * Stops relaying. A leader first publishes what is already stored (at most `drainTimeoutMs`, default
   * 5 s): with coalescing, the last events of a clean shutdown would otherwise wait for the next leader.
   */
  async stop(): Promise<void> {
    const subscription = this.subscription;
    if (subscription && this.state === 'leading' && !this.stopping) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.drainTimeoutMs ?? 5_000);
      });
      await Promise.race([
        subscription.drain().catch((error: unknown) => this.log.warn(`relay ${this.options.name}: not drained before stopping (${String(error)})`)),
        timeout,
      ]);
      clearTimeout(timer);
    }
    this.stopping = true;
    this.wakeStandby?.();
    await this.subscription?.stop();
    await this.run?.catch(() => undefined);
    this.run = undefined;
  }

  /** Reads the stored checkpoint (START if none). */
  async checkpoint(): Promise<GlobalPosition> {
    const { rows } = await this.options.pool.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position::text AS pos FROM "${this.options.schema}".relay_checkpoints WHERE name = $1`,
      [this.options.name],
    );
    const row = rows[0];
    return row ? { transactionId: BigInt(row.tx), sequence: BigInt(row.pos) } : START;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        this.state = 'standby';
        if (!(await this.becomeLeader())) {
          await this.standbyPause();
          continue;
        }
        this.state = 'leading';
        await this.lead();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!this.stopping) this.log.warn(`relay ${this.options.name} restarting after: ${reason}`);
      } finally {
        await this.releaseLeadership();
      }
      if (!this.stopping) await this.standbyPause();
    }
    this.state = 'stopped';
  }

  private async becomeLeader(): Promise<boolean> {
    const client = await this.options.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        `relay:${this.options.schema}:${this.options.name}`,
      ]);
      if (rows[0]?.locked) {
        this.lockClient = client;
        return true;
      }
    } catch (error) {
      client.release(error instanceof Error ? error : undefined);
      throw error;
    }
    client.release();
    return false;
  }

  private async lead(): Promise<void> {
    const lockClient = this.lockClient as PoolClient;
    const lockLost = new Promise<never>((_, reject) => {
      lockClient.once('error', (error) => reject(new Error(`leader lock connection lost: ${error.message}`)));
    });
    // The partitioner kafkajs 2 uses by default (Java client's murmur2), named so it stays put and kafkajs
    // does not warn about its v2 default change on every start.
    this.producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    const after = await this.checkpoint();
    this.log.info(`relay ${this.options.name} leading from ${formatPosition(after)}`);
    this.subscription = this.options.store.subscribe((events) => this.publish(events), {
      after,
      batchSize: this.options.batchSize ?? 500,
      pollIntervalMs: this.options.pollIntervalMs,
      coalesceMs: this.options.coalesceMs,
      coalesceAbovePerSecond: this.options.coalesceAbovePerSecond,
    });
    // stop() may have come while the producer connected: it found no subscription to stop.
    if (this.stopping) return;
    await Promise.race([this.subscription.done, lockLost]);
  }

  private async publish(events: readonly RecordedEvent[]): Promise<void> {
    const messages: { readonly event: RecordedEvent; readonly message: RelayMessage }[] = [];
    for (const event of events) {
      const message = this.messageFor(event);
      if (message !== null) messages.push({ event, message });
    }
    for (const chunk of chunksOf(messages, this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)) await this.send(chunk);
    this.options.faults?.afterPublish?.(events);
    const last = (events[events.length - 1] as RecordedEvent).position;
    // Written through the leader's own session: if it lost the lock (connection gone), this fails too.
    await (this.lockClient as PoolClient).query(
      `INSERT INTO "${this.options.schema}".relay_checkpoints (name, transaction_id, global_position)
       VALUES ($1, $2::text::xid8, $3)
       ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
         global_position = EXCLUDED.global_position, updated_at = now()`,
      [this.options.name, last.transactionId.toString(), last.sequence.toString()],
    );
    this.published += events.length;
    this.options.faults?.afterCheckpoint?.(events);
  }

  /** Publishes one request's worth, in order. Kafka down: the same chunk again until it goes through. */
  private async send(chunk: readonly { readonly event: RecordedEvent; readonly message: RelayMessage }[]): Promise<void> {
    let pending = chunk;
    for (let attempt = 0; ; attempt += 1) {
      if (this.stopping) throw new Error('stopping');
      try {
        await (this.producer as Producer).sendBatch({ topicMessages: byTopic(pending.map((m) => m.message)), acks: -1 });
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const only = pending.length === 1 ? pending[0] : undefined;
        if (only && only.message.topic !== this.options.deadLetterTopic && isTooLarge(error)) {
          // Retrying cannot help; the event stays in the store and goes to the dead-letter topic without its data.
          this.log.error(`relay ${this.options.name}: event ${only.event.id} (${only.event.type}) is too large for the broker: ${reason}`);
          pending = [{ event: only.event, message: this.deadLetter(only.event, `too large for the broker: ${reason}`, false) }];
          continue;
        }
        if (attempt % 10 === 0) this.log.warn(`relay ${this.options.name}: publish failed (${reason}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private messageFor(event: RecordedEvent): RelayMessage | null {
    try {
      return this.options.toMessage(event);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.error(`relay ${this.options.name}: event ${event.id} (${event.type}) cannot be published: ${reason}`);
      return this.deadLetter(event, reason, true);
    }
  }

  /** The dead-letter message of an event, with the reason; `withData: false` when the data is what does not fit. */
  private deadLetter(event: RecordedEvent, reason: string, withData: boolean): RelayMessage {
    const { data, ...rest } = event;
    const stored = withData ? { ...rest, data } : rest;
    return {
      topic: this.options.deadLetterTopic,
      key: event.streamId,
      value: JSON.stringify({ error: reason, event: { ...stored, position: formatPosition(event.position) } }),
      headers: { 'x-dead-letter-reason': reason.slice(0, 500), 'x-event-id': event.id },
    };
  }

  private async releaseLeadership(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    const client = this.lockClient;
    this.lockClient = undefined;
    if (client) {
      await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      client.release();
    }
  }

  private standbyPause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.standbyRetryMs ?? 1_000);
      const wake = (): void => done();
      this.wakeStandby = wake;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
