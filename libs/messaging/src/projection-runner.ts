import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';

/** One event as a projection sees it, whatever the wire format. */
export interface ProjectedEvent {
  /** Stable across re-deliveries (the stored event's id). */
  readonly id: string;
  readonly type: string;
  /** The event's stream: duplicates and order are tracked per subject. */
  readonly subject: string;
  /** Version of the event within its subject's stream (1, 2, ...). */
  readonly sequence: number;
  readonly data: unknown;
}

export type DecodeResult = { ok: true; event: ProjectedEvent } | { ok: false; error: string };
export type Decoder = (raw: Buffer) => DecodeResult;

/** A read model fed from Kafka. `apply` runs inside the transaction that also records progress. */
export interface Projection {
  readonly name: string;
  readonly topics: readonly string[];
  apply(event: ProjectedEvent, tx: PoolClient): Promise<void>;
}

export interface ProjectionLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Test seam: a hook that throws kills the runner at that point, as a crashed process would die. */
export interface ProjectionFaults {
  /** Inside the transaction, after apply, before COMMIT. */
  beforeCommit?(event: ProjectedEvent): void;
  /** After COMMIT, before the Kafka offset is committed. */
  afterCommit?(event: ProjectedEvent): void;
}

export interface ProjectionRunnerOptions {
  /** Consumer group = `${serviceName}.${projection.name}`. */
  readonly serviceName: string;
  readonly pool: Pool;
  /** The owning service's schema; progress tables live there. */
  readonly schema: string;
  readonly kafka: Kafka;
  readonly projection: Projection;
  readonly decode: Decoder;
  /** Dead-letter topic for a source topic (default `<topic>.dlq`). */
  readonly deadLetterTopicFor?: (topic: string) => string;
  /** Attempts at a message whose `apply` throws before it is dead-lettered (default 3). */
  readonly maxApplyAttempts?: number;
  readonly logger?: ProjectionLogger;
  readonly faults?: ProjectionFaults;
  /** Events of one partition applied in one PostgreSQL transaction (default 100). */
  readonly maxEventsPerTransaction?: number;
  /** Partitions processed at the same time (default 3). */
  readonly partitionsConsumedConcurrently?: number;
  /** Pause before a crashed consumer is started again (default 500 ms). */
  readonly restartDelayMs?: number;
}

const silent: ProjectionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const defaultDeadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** A projection's own `apply` threw (as opposed to the database or Kafka failing). */
class ApplyFailed extends Error {}

interface PendingEvent {
  readonly message: KafkaMessage;
  readonly event: ProjectedEvent;
}

/**
 * Applies Kafka events to a PostgreSQL read model exactly once in effect.
 *
 * Why a kafkajs consumer wrapped by us rather than the @nestjs/microservices Kafka transport: the
 * transport dispatches message by message to controller handlers and commits offsets on its own; it
 * gives no transaction around "apply + record progress", no per-partition control of offset commits
 * after that transaction, and no dead-letter path for undecodable messages. Those are the point here.
 *
 * Each message: decode (undecodable → dead-letter topic with the error, partition moves on); then one
 * PostgreSQL transaction that locks the subject's progress row, skips the event if its sequence was
 * already applied (a redelivery or a relay republish), else applies it and records the new sequence and
 * the partition offset; then the Kafka offset is committed. A crash anywhere in between leaves either
 * nothing applied (rolled back) or the progress row saying so, so redelivery has no effect.
 */
export class ProjectionRunner {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private stopping = false;
  private supervisor: Promise<void> | undefined;
  private readonly log: ProjectionLogger;
  private applied = 0;
  private skipped = 0;
  private deadLettered = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
    this.log = options.logger ?? silent;
  }

  get workerName(): string {
    return `projection ${this.groupId}`;
  }

  get groupId(): string {
    return `${this.options.serviceName}.${this.options.projection.name}`;
  }

  get stats(): { applied: number; skipped: number; deadLettered: number } {
    return { applied: this.applied, skipped: this.skipped, deadLettered: this.deadLettered };
  }

  async migrate(): Promise<void> {
    const s = `"${this.options.schema}"`;
    await this.options.pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await this.options.pool.query(`
      CREATE TABLE IF NOT EXISTS ${s}.projection_positions (
        projection text NOT NULL,
        subject text NOT NULL,
        sequence bigint NOT NULL,
        event_id uuid NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, subject)
      )`);
    await this.options.pool.query(`
      CREATE TABLE IF NOT EXISTS ${s}.projection_offsets (
        projection text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, topic, partition)
      )`);
  }

  /** Creates the dead-letter topics, then consumes until stopped, restarting after crashes. */
  async start(): Promise<void> {
    if (this.supervisor) return;
    this.stopping = false;
    await this.ensureDeadLetterTopics();
    this.producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    let resolveStarted: () => void = () => undefined;
    const started = new Promise<void>((r) => (resolveStarted = r));
    this.supervisor = this.supervise(resolveStarted);
    await started;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.supervisor?.catch(() => undefined);
    this.supervisor = undefined;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private async supervise(onFirstStart: () => void): Promise<void> {
    while (!this.stopping) {
      const crashed = await this.runConsumer(onFirstStart);
      if (this.stopping) break;
      this.log.warn(`projection ${this.groupId} restarting after: ${crashed}`);
      await new Promise((r) => setTimeout(r, this.options.restartDelayMs ?? 500));
    }
  }

  /** Runs one consumer until it crashes (returns the reason) or the runner stops. */
  private async runConsumer(onStarted: () => void): Promise<string> {
    const consumer = this.options.kafka.consumer({
      groupId: this.groupId,
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    let crash: (reason: string) => void = () => undefined;
    const crashed = new Promise<string>((r) => (crash = r));
    consumer.on(consumer.events.CRASH, (event) => crash(String(event.payload.error?.message ?? 'consumer crashed')));
    try {
      await consumer.connect();
      for (const topic of this.options.projection.topics) await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 1_000,
        eachBatchAutoResolve: false,
        // Partitions are independent (key = directory id), so they are applied side by side.
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.handleBatch(payload),
      });
      onStarted();
      const stoppedOrCrashed = new Promise<string>((resolve) => {
        consumer.on(consumer.events.STOP, () => resolve('stopped'));
      });
      return await Promise.race([crashed, stoppedOrCrashed]);
    } catch (error) {
      onStarted();
      return error instanceof Error ? error.message : String(error);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  private async handleBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const chunkSize = this.options.maxEventsPerTransaction ?? 100;
    for (let from = 0; from < batch.messages.length; from += chunkSize) {
      if (!isRunning() || isStale()) return;
      const messages = batch.messages.slice(from, from + chunkSize);
      const items: PendingEvent[] = [];
      for (const message of messages) {
        const decoded = this.options.decode(message.value ?? Buffer.alloc(0));
        if (decoded.ok) items.push({ message, event: decoded.event });
        else await this.deadLetter(batch.topic, batch.partition, message, `undecodable: ${decoded.error}`);
      }
      if (items.length > 0) await this.applyChunk(batch.topic, batch.partition, items);
      // Only messages whose effect is committed in PostgreSQL are resolved, so auto-commit never
      // commits past unprocessed work; a lost Kafka commit just means a redelivery the stored
      // progress ignores.
      resolveOffset((messages[messages.length - 1] as KafkaMessage).offset);
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
  }

  /**
   * Applies a run of events in one transaction (one commit, one fsync, for up to
   * maxEventsPerTransaction events). If one of them fails to apply, the run is rolled back and its
   * events are applied one at a time, so only the failing one is retried and, at last, dead-lettered.
   */
  private async applyChunk(topic: string, partition: number, items: readonly PendingEvent[]): Promise<void> {
    try {
      await this.applyInTransaction(topic, partition, items);
      return;
    } catch (error) {
      if (!(error instanceof ApplyFailed)) throw error;
      if (items.length === 1) {
        await this.retryOne(topic, partition, items[0] as PendingEvent, error);
        return;
      }
    }
    for (const item of items) {
      try {
        await this.applyInTransaction(topic, partition, [item]);
      } catch (error) {
        if (!(error instanceof ApplyFailed)) throw error;
        await this.retryOne(topic, partition, item, error);
      }
    }
  }

  private async retryOne(topic: string, partition: number, item: PendingEvent, first: ApplyFailed): Promise<void> {
    const attempts = this.options.maxApplyAttempts ?? 3;
    let last = first;
    for (let attempt = 2; attempt <= attempts; attempt += 1) {
      await new Promise((r) => setTimeout(r, 50 * attempt));
      try {
        await this.applyInTransaction(topic, partition, [item]);
        return;
      } catch (error) {
        if (!(error instanceof ApplyFailed)) throw error;
        last = error;
      }
    }
    await this.deadLetter(topic, partition, item.message, `apply failed ${attempts} times: ${last.message}`);
  }

  private async applyInTransaction(topic: string, partition: number, items: readonly PendingEvent[]): Promise<void> {
    const s = `"${this.options.schema}"`;
    const name = this.options.projection.name;
    const client = await this.options.pool.connect();
    let applied = 0;
    let skipped = 0;
    try {
      await client.query('BEGIN');
      for (const { event } of items) {
        // One statement creates or locks the subject's progress row and returns what was applied so
        // far; the row lock keeps two consumers (mid-rebalance) from applying one subject at once.
        const { rows } = await client.query<{ sequence: string }>({
          name: `projection_lock_${this.options.schema}`,
          text: `INSERT INTO ${s}.projection_positions AS p (projection, subject, sequence, event_id) VALUES ($1, $2, 0, $3)
                 ON CONFLICT (projection, subject) DO UPDATE SET projection = p.projection
                 RETURNING p.sequence::text`,
          values: [name, event.subject, event.id],
        });
        const appliedUpTo = Number(rows[0]?.sequence ?? 0);
        if (event.sequence <= appliedUpTo) {
          skipped += 1;
          continue;
        }
        if (event.sequence > appliedUpTo + 1) {
          this.log.warn(`projection ${name}: ${event.subject} jumps from ${appliedUpTo} to ${event.sequence} (event ${event.id})`);
        }
        try {
          await this.options.projection.apply(event, client);
        } catch (error) {
          throw new ApplyFailed(error instanceof Error ? error.message : String(error));
        }
        await client.query({
          name: `projection_progress_${this.options.schema}`,
          text: `UPDATE ${s}.projection_positions SET sequence = $3, event_id = $4, applied_at = now() WHERE projection = $1 AND subject = $2`,
          values: [name, event.subject, event.sequence, event.id],
        });
        applied += 1;
      }
      const lastOffset = (items[items.length - 1] as PendingEvent).message.offset;
      await client.query(
        `INSERT INTO ${s}.projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
         ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [name, topic, partition, (BigInt(lastOffset) + 1n).toString()],
      );
      this.options.faults?.beforeCommit?.((items[items.length - 1] as PendingEvent).event);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    this.applied += applied;
    this.skipped += skipped;
    for (const { event } of items) this.options.faults?.afterCommit?.(event);
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    const target = (this.options.deadLetterTopicFor ?? defaultDeadLetterTopic)(topic);
    this.log.error(`projection ${this.options.projection.name}: ${topic}[${partition}]@${message.offset} → ${target}: ${reason}`);
    await (this.producer as Producer).send({
      topic: target,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'x-dead-letter-reason': reason.slice(0, 1000),
            'x-dead-letter-source': `${topic}[${partition}]@${message.offset}`,
            'x-dead-letter-projection': this.options.projection.name,
          },
        },
      ],
    });
    this.deadLettered += 1;
  }

  private async ensureDeadLetterTopics(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const deadLetter = this.options.deadLetterTopicFor ?? defaultDeadLetterTopic;
      const missing = this.options.projection.topics.map(deadLetter).filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 1 })) });
      }
    } finally {
      await admin.disconnect();
    }
  }
}
