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
  /** Envelope facts a decoder may pass on (the contracts decoder does). */
  readonly directoryId?: string;
  readonly organizationId?: string;
  /** When it happened (ISO 8601). */
  readonly time?: string;
  /** The version of `data`: the latest the decoder knows (older versions are upcast before this). */
  readonly schemaVersion?: number;
}

export type DecodeResult = { ok: true; event: ProjectedEvent } | { ok: false; error: string };
export type Decoder = (raw: Buffer) => DecodeResult;

/**
 * A read model fed from Kafka. `apply` / `applyBatch` run inside the transaction that also records
 * progress. Give at least one of them.
 */
export interface Projection {
  /** Names the progress rows (and, by default, the consumer group): a new name starts from scratch. */
  readonly name: string;
  readonly topics: readonly string[];
  apply?(event: ProjectedEvent, tx: PoolClient): Promise<void>;
  /**
   * Applies a run of events of one partition at once, in partition order, redeliveries already left
   * out: for set-based SQL (one statement for many rows). If it throws, the run is rolled back and
   * retried event by event (each as a batch of one), so only the failing event is dead-lettered.
   */
  applyBatch?(events: readonly ProjectedEvent[], tx: PoolClient, context: ApplyContext): Promise<void>;
  /**
   * Events with the same key are never applied by two transactions at once, whatever their topic or
   * partition: the runner takes `pg_advisory_xact_lock` on each key of a transaction first, before it
   * writes anything (so the transaction's id is assigned after the wait, which keeps per-stream order
   * for appends made inside it). E.g. the directory id, when two topics feed one directory's state.
   */
  serializationKey?(event: ProjectedEvent): string | undefined;
  /**
   * Optional work on events about to be applied that needs no database (building statement parameters,
   * serialising JSON): the runner calls it for the next chunk of a batch while the current chunk's
   * transaction is in PostgreSQL, so that work is off the transaction's path. What it computes is the
   * projection's to keep (e.g. in a WeakMap by event object: the same objects reach applyBatch); apply
   * must give the same result whether or not it ran.
   */
  prepare?(events: readonly ProjectedEvent[]): void;
  /**
   * Optional writes of a chunk that the runner commits ahead of the chunk's own transaction, in a
   * transaction of their own on a second connection while the previous chunk's transaction runs: a
   * catch-up then keeps two PostgreSQL backends busy. They must be idempotent and independent of the
   * events before them (the chunk's transaction may follow a crash, or run again), and applyBatch must
   * be correct whether or not they were committed (if this throws, the runner goes on without them).
   */
  applyAhead?(events: readonly ProjectedEvent[], tx: PoolClient): Promise<void>;
  /**
   * After a transaction that applied events has committed: e.g. to wake the relay of events the
   * projection appended (a wake-up before COMMIT would find nothing to read yet).
   */
  afterCommit?(applied: readonly ProjectedEvent[]): void;
}

export interface ApplyContext {
  /** applyAhead ran for every one of these events and its transaction committed. */
  readonly aheadCommitted: boolean;
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
  /** Consumer group = `${serviceName}.${projection.name}` unless `consumerGroupId` says otherwise. */
  readonly serviceName: string;
  readonly consumerGroupId?: string;
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
  /**
   * kafkajs fetch sizes (defaults: 1 MiB per partition, 10 MiB per fetch). A fetch's messages are the
   * most one transaction can take, so a catch-up that wants transactions of thousands of events needs
   * more per partition than the default (~500 events of a user sync per MiB).
   */
  readonly maxBytesPerPartition?: number;
  readonly maxBytesPerFetch?: number;
  /** Partitions processed at the same time (default 3). */
  readonly partitionsConsumedConcurrently?: number;
  /** Pause before a crashed consumer is started again (default 500 ms). */
  readonly restartDelayMs?: number;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The partition's high watermark: the offset the next message will get. */
  readonly end: string;
  /** The next offset the projection has yet to apply. */
  readonly applied: string;
  readonly lag: number;
}

export interface ProjectionLag {
  readonly projection: string;
  /** Messages published but not yet applied, all partitions together. */
  readonly total: number;
  readonly partitions: readonly PartitionLag[];
}

const silent: ProjectionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const defaultDeadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** A projection's own `apply` threw (as opposed to the database or Kafka failing). */
class ApplyFailed extends Error {}

interface Decoded {
  readonly message: KafkaMessage;
  readonly result: DecodeResult;
}

/**
 * Messages decoded (and prepared) between two looks at the event loop while a transaction is in flight:
 * a reply from PostgreSQL waits for the slice in progress. 100 (~2–3 ms with preparation) slowed each of
 * a transaction's small statements by that much; 25 keeps the wait well under a millisecond.
 */
const DECODE_SLICE = 25;

interface PendingEvent {
  readonly message: KafkaMessage;
  readonly event: ProjectedEvent;
  /** The projection's applyAhead for this event's chunk committed. */
  readonly aheadCommitted?: boolean;
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
  private writtenAhead = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
    if (!options.projection.apply && !options.projection.applyBatch) throw new Error(`projection ${options.projection.name} has neither apply nor applyBatch`);
    this.log = options.logger ?? silent;
  }

  get workerName(): string {
    return `projection ${this.groupId}`;
  }

  get groupId(): string {
    return this.options.consumerGroupId ?? `${this.options.serviceName}.${this.options.projection.name}`;
  }

  /**
   * How far behind the topics' ends this projection is, per partition: `applied` comes from the
   * offsets recorded in the projection's own transactions (exact, unlike the group's auto-committed
   * offsets, which trail by up to a second).
   */
  async lag(): Promise<ProjectionLag> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const { rows } = await this.options.pool.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset::text FROM "${this.options.schema}".projection_offsets WHERE projection = $1`,
        [this.options.projection.name],
      );
      const applied = new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]));
      const partitions: PartitionLag[] = [];
      for (const topic of this.options.projection.topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const end = BigInt(p.high);
          const low = BigInt(p.low);
          // Nothing recorded yet: everything from the low watermark on is still to do.
          const next = applied.get(`${topic}/${p.partition}`) ?? low;
          partitions.push({ topic, partition: p.partition, end: end.toString(), applied: next.toString(), lag: Number(end > next ? end - next : 0n) });
        }
      }
      return { projection: this.options.projection.name, total: partitions.reduce((n, p) => n + p.lag, 0), partitions };
    } finally {
      await admin.disconnect();
    }
  }

  /** `writtenAhead`: chunks whose applyAhead committed before their transaction. */
  get stats(): { applied: number; skipped: number; deadLettered: number; writtenAhead: number } {
    return { applied: this.applied, skipped: this.skipped, deadLettered: this.deadLettered, writtenAhead: this.writtenAhead };
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

  /**
   * Consumes until stopped, restarting after crashes. Resolves after the first attempt, whether or not
   * Kafka was reachable: a service starts beside a broker that is still electing leaders (or down) and
   * its consumer keeps trying in the background, as the topics' creation does.
   */
  async start(): Promise<void> {
    if (this.supervisor) return;
    this.stopping = false;
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
      ...(this.options.maxBytesPerPartition ? { maxBytesPerPartition: this.options.maxBytesPerPartition } : {}),
      ...(this.options.maxBytesPerFetch ? { maxBytes: this.options.maxBytesPerFetch } : {}),
    });
    this.consumer = consumer;
    let crash: (reason: string) => void = () => undefined;
    const crashed = new Promise<string>((r) => (crash = r));
    consumer.on(consumer.events.CRASH, (event) => crash(String(event.payload.error?.message ?? 'consumer crashed')));
    try {
      await this.prepareDeadLetters();
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
    const chunks: KafkaMessage[][] = [];
    // The first chunk is decoded before anything can go to PostgreSQL: a short one gets the database
    // working sooner, and the next (full) chunk is decoded while it applies.
    const first = Math.max(1, Math.ceil(chunkSize / 8));
    if (batch.messages.length > chunkSize) chunks.push(batch.messages.slice(0, first));
    for (let from = chunks.length > 0 ? first : 0; from < batch.messages.length; from += chunkSize) chunks.push(batch.messages.slice(from, from + chunkSize));
    // A pipeline per batch, so a catch-up waits for the longest stage rather than their sum: while chunk
    // c's transaction is in PostgreSQL, chunk c+1's applyAhead runs on a second connection (it starts as
    // soon as c+1 is decoded) and chunk c+2 is decoded (and prepared) in slices in this process. Chunks
    // are decoded one after another; the first one at once, with nothing to overlap it.
    const decodes: Promise<Decoded[]>[] = [];
    const aheads: Promise<boolean>[] = [];
    const startDecoding = (i: number): void => {
      const chunk = chunks[i];
      if (!chunk || i < decodes.length) return;
      const decoding = i === 0 ? Promise.resolve(this.decodeAll(chunk)) : (decodes[i - 1] as Promise<Decoded[]>).then(() => this.decodeInSlices(chunk));
      decodes[i] = decoding;
      // One applyAhead at a time per partition (after the previous one): a transaction and one ahead of it.
      aheads[i] = i === 0 ? Promise.resolve(false) : Promise.all([decoding, aheads[i - 1]]).then(([decoded]) => this.applyAhead(decoded));
    };
    startDecoding(0);
    try {
      for (let c = 0; c < chunks.length; c += 1) {
        const decoded = await (decodes[c] as Promise<Decoded[]>);
        startDecoding(c + 1);
        // The chunk's own transaction reads what its applyAhead wrote: it starts once that committed.
        const aheadCommitted = await (aheads[c] as Promise<boolean>);
        startDecoding(c + 2);
        if (!isRunning() || isStale()) return;
        const messages = chunks[c] as KafkaMessage[];
        const items: PendingEvent[] = [];
        for (const { message, result } of decoded) {
          if (result.ok) items.push({ message, event: result.event, aheadCommitted });
          else await this.deadLetter(batch.topic, batch.partition, message, `undecodable: ${result.error}`);
        }
        const deadLetteredBefore = this.deadLettered;
        if (items.length > 0) await this.applyChunk(batch.topic, batch.partition, items);
        const last = messages[messages.length - 1] as KafkaMessage;
        // A chunk whose last messages were dead-lettered committed no progress for them: record the offset
        // anyway, so lag() and a rebuild's catch-up see the partition as done.
        if (this.deadLettered > deadLetteredBefore || items.length === 0) await this.recordOffset(batch.topic, batch.partition, last.offset);
        // Only messages whose effect is committed in PostgreSQL are resolved, so auto-commit never
        // commits past unprocessed work; a lost Kafka commit just means a redelivery the stored
        // progress ignores.
        resolveOffset(last.offset);
        await heartbeat();
      }
      await commitOffsetsIfNecessary();
    } finally {
      // Nothing of this batch left running unobserved (neither rejects), e.g. when it ends early.
      await Promise.all([...decodes, ...aheads].map((p) => p.catch(() => undefined)));
    }
  }

  /** The projection's applyAhead for a decoded chunk, in its own transaction: whether it committed. */
  private async applyAhead(decoded: readonly Decoded[]): Promise<boolean> {
    const projection = this.options.projection;
    if (!projection.applyAhead || this.stopping) return false;
    const events = decoded.flatMap((d) => (d.result.ok ? [d.result.event] : []));
    if (events.length === 0) return false;
    let client: PoolClient | undefined;
    try {
      client = await this.options.pool.connect();
      await client.query('BEGIN');
      await projection.applyAhead(events, client);
      await client.query('COMMIT');
      this.writtenAhead += 1;
      return true;
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      this.log.warn(`projection ${projection.name}: writes ahead of a chunk failed, applied in its transaction instead: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    } finally {
      client?.release();
    }
  }

  private decodeAll(messages: readonly KafkaMessage[]): Decoded[] {
    return messages.map((message) => ({ message, result: this.decodeOne(message) }));
  }

  /**
   * Decodes in slices, yielding to the event loop between them, so the replies of the transaction
   * running meanwhile are handled as they come instead of after the whole chunk is decoded.
   */
  private async decodeInSlices(messages: readonly KafkaMessage[]): Promise<Decoded[]> {
    const out: Decoded[] = [];
    const prepare = this.options.projection.prepare;
    for (let from = 0; from < messages.length; from += DECODE_SLICE) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const slice = this.decodeAll(messages.slice(from, from + DECODE_SLICE));
      out.push(...slice);
      if (prepare) {
        const events = slice.flatMap((d) => (d.result.ok ? [d.result.event] : []));
        // A hint only: if it fails, applyBatch does that work itself (and reports what is wrong).
        try {
          prepare.call(this.options.projection, events);
        } catch {
          // nothing prepared for the rest of this slice
        }
      }
    }
    return out;
  }

  private decodeOne(message: KafkaMessage): DecodeResult {
    try {
      return this.options.decode(message.value ?? Buffer.alloc(0));
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
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
    let fresh: ProjectedEvent[] = [];
    try {
      await client.query('BEGIN');
      const keys = this.serializationKeys(items);
      if (keys.length > 0) {
        // Before any write, so this transaction's id is assigned only once it holds the keys.
        await client.query({
          name: `projection_serialize_${this.options.schema}`,
          text: 'SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k',
          values: [keys],
        });
      }
      // One statement creates or locks every subject's progress row (sorted, so two consumers
      // mid-rebalance lock in the same order) and returns what was applied so far; the row locks keep
      // them from applying one subject at once. A subject new to the projection is created with its
      // final value for this run right away (every event of it here is fresh): a catch-up, where nearly
      // every subject is new, then writes each progress row once instead of inserting and updating it.
      const proposed = new Map<string, ProjectedEvent>();
      for (const { event } of items) {
        const before = proposed.get(event.subject);
        if (!before || event.sequence > before.sequence) proposed.set(event.subject, event);
      }
      const claims = [...proposed.values()];
      // Only the subjects that existed come back (xmax = 0: the row version was inserted by this
      // statement, not the no-op update of an existing one); in a catch-up that is none of them.
      const { rows: existing } = await client.query<{ subject: string; sequence: string }>({
        name: `projection_claim_${this.options.schema}`,
        text: `WITH claimed AS (
                 INSERT INTO ${s}.projection_positions AS p (projection, subject, sequence, event_id)
                 SELECT $1, t.subject, t.sequence, t.event_id FROM unnest($2::text[], $3::bigint[], $4::uuid[]) AS t(subject, sequence, event_id) ORDER BY t.subject
                 ON CONFLICT (projection, subject) DO UPDATE SET projection = p.projection
                 RETURNING p.subject, p.sequence, (p.xmax = 0) AS created)
               SELECT subject, sequence::text FROM claimed WHERE NOT created`,
        values: [name, claims.map((e) => e.subject), claims.map((e) => e.sequence), claims.map((e) => e.id)],
      });
      const appliedUpTo = new Map(existing.map((r) => [r.subject, Number(r.sequence)]));
      const created = new Set(claims.filter((e) => !appliedUpTo.has(e.subject)).map((e) => e.subject));
      const progress = new Map<string, ProjectedEvent>();
      for (const { event } of items) {
        const upTo = appliedUpTo.get(event.subject) ?? 0;
        // A redelivery, a relay republish, or the same event twice in this run.
        if (event.sequence <= upTo) continue;
        if (event.sequence > upTo + 1) {
          this.log.warn(`projection ${name}: ${event.subject} jumps from ${upTo} to ${event.sequence} (event ${event.id})`);
        }
        appliedUpTo.set(event.subject, event.sequence);
        if (!created.has(event.subject)) progress.set(event.subject, event);
        fresh.push(event);
      }
      if (fresh.length > 0) {
        try {
          await this.applyEvents(fresh, client, { aheadCommitted: items.every((i) => i.aheadCommitted === true) });
        } catch (error) {
          throw new ApplyFailed(error instanceof Error ? error.message : String(error));
        }
      }
      if (progress.size > 0) {
        // The subjects that existed before and moved on. An upsert rather than UPDATE … FROM unnest:
        // its conflict check is an index probe per row whatever the statistics say, where the UPDATE's
        // cached generic plan was a hash join over the whole table (planned while it was small).
        const done = [...progress.values()];
        await client.query({
          name: `projection_progress_${this.options.schema}`,
          text: `INSERT INTO ${s}.projection_positions AS p (projection, subject, sequence, event_id)
                 SELECT $1, t.subject, t.sequence, t.event_id FROM unnest($2::text[], $3::bigint[], $4::uuid[]) AS t(subject, sequence, event_id)
                 ON CONFLICT (projection, subject) DO UPDATE SET sequence = EXCLUDED.sequence, event_id = EXCLUDED.event_id, applied_at = now()`,
          values: [name, done.map((e) => e.subject), done.map((e) => e.sequence), done.map((e) => e.id)],
        });
      }
      const lastOffset = (items[items.length - 1] as PendingEvent).message.offset;
      await client.query({
        name: `projection_offset_${this.options.schema}`,
        text: `INSERT INTO ${s}.projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
               ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        values: [name, topic, partition, (BigInt(lastOffset) + 1n).toString()],
      });
      this.options.faults?.beforeCommit?.((items[items.length - 1] as PendingEvent).event);
      await client.query('COMMIT');
    } catch (error) {
      fresh = [];
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    this.applied += fresh.length;
    this.skipped += items.length - fresh.length;
    if (fresh.length > 0) this.options.projection.afterCommit?.(fresh);
    for (const { event } of items) this.options.faults?.afterCommit?.(event);
  }

  private async recordOffset(topic: string, partition: number, offset: string): Promise<void> {
    await this.options.pool.query(
      `INSERT INTO "${this.options.schema}".projection_offsets AS o (projection, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset), updated_at = now()`,
      [this.options.projection.name, topic, partition, (BigInt(offset) + 1n).toString()],
    );
  }

  private async applyEvents(events: readonly ProjectedEvent[], client: PoolClient, context: ApplyContext): Promise<void> {
    const projection = this.options.projection;
    if (projection.applyBatch) return projection.applyBatch(events, client, context);
    for (const event of events) await (projection.apply as NonNullable<Projection['apply']>)(event, client);
  }

  private serializationKeys(items: readonly PendingEvent[]): string[] {
    const keyOf = this.options.projection.serializationKey;
    if (!keyOf) return [];
    const keys = new Set<string>();
    for (const { event } of items) {
      const key = keyOf.call(this.options.projection, event);
      if (key !== undefined) keys.add(key);
    }
    // Sorted: two transactions needing the same keys take them in the same order (no deadlock).
    return [...keys].sort();
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

  /** The dead-letter topics and their producer, once; a failure is retried with the consumer's next start. */
  private async prepareDeadLetters(): Promise<void> {
    if (this.producer) return;
    await this.ensureDeadLetterTopics();
    const producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    try {
      await producer.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    this.producer = producer;
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
