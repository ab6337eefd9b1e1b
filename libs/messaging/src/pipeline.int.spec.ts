import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';
import { OutboxRelay, PostgresEventStore, type NewEvent, type RecordedEvent, type RelayMessage } from '@scimbridge/event-store';
import { randomFreePort, requiredEnv, startLocalKafka, uniqueId, waitFor, type KafkaHandle } from '@scimbridge/testing';
import { ProjectionRunner, type DecodeResult, type Projection, type ProjectedEvent } from './projection-runner';

/**
 * The whole path on real infrastructure: append → PostgreSQL events table (the outbox) → relay →
 * Kafka → projection runner → PostgreSQL read model. Nothing accepted may be lost and nothing may take
 * effect twice — with Kafka down for a while, with crashes at every step, and with several relays.
 */
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 20 });
const workspaceRoot = resolve(__dirname, '../../..');

interface Fixture {
  readonly schema: string;
  readonly topic: string;
  readonly store: PostgresEventStore;
}

async function fixture(): Promise<Fixture> {
  const schema = `pipe_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = new PostgresEventStore(pool, { schema, pollIntervalMs: 20 });
  await store.migrate();
  // The read model: a primary key on the event id makes any second application fail loudly.
  await pool.query(`CREATE TABLE "${schema}".applied (event_id uuid PRIMARY KEY, subject text NOT NULL, sequence int NOT NULL)`);
  return { schema, topic: uniqueId('pipeline'), store };
}

const newEvent = (directoryId: string, n: number): NewEvent => ({
  id: randomUUID(),
  type: 'Counted',
  schemaVersion: 1,
  data: { n },
  metadata: { directoryId, organizationId: 'org', occurredAt: new Date(0).toISOString() },
});

function toMessage(topic: string): (event: RecordedEvent) => RelayMessage {
  return (event) => ({
    topic,
    key: String(event.metadata['directoryId']),
    value: JSON.stringify({ id: event.id, type: event.type, subject: event.streamId, sequence: event.streamVersion, data: event.data }),
  });
}

const decode = (raw: Buffer): DecodeResult => {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as Partial<ProjectedEvent>;
    if (typeof parsed.id !== 'string' || typeof parsed.subject !== 'string' || typeof parsed.sequence !== 'number') {
      return { ok: false, error: 'missing id/subject/sequence' };
    }
    return { ok: true, event: { id: parsed.id, type: String(parsed.type), subject: parsed.subject, sequence: parsed.sequence, data: parsed.data } };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
};

function countingProjection(schema: string, topic: string): Projection & { apply: NonNullable<Projection['apply']> } {
  return {
    name: 'counter',
    topics: [topic],
    apply: async (event: ProjectedEvent, tx: PoolClient) => {
      await tx.query(`INSERT INTO "${schema}".applied (event_id, subject, sequence) VALUES ($1, $2, $3)`, [
        event.id,
        event.subject,
        event.sequence,
      ]);
    },
  };
}

async function createTopic(kafka: Kafka, topic: string, partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

/** Every event id on the topic, with how often it appears. */
async function readTopic(kafka: Kafka, topic: string, expected: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let total = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const id = (JSON.parse(message.value?.toString() ?? '{}') as { id?: string }).id ?? '?';
      counts.set(id, (counts.get(id) ?? 0) + 1);
      total += 1;
    },
  });
  await waitFor(`${expected} distinct events on ${topic}`, async () => {
    if (counts.size < expected) throw new Error(`${counts.size} distinct of ${total} read`);
  }, { timeoutMs: 60_000, intervalMs: 200 });
  await new Promise((r) => setTimeout(r, 500)); // let trailing duplicates, if any, arrive
  await consumer.disconnect();
  return counts;
}

async function appliedRows(schema: string): Promise<Array<{ event_id: string; subject: string; sequence: number }>> {
  return (await pool.query(`SELECT event_id, subject, sequence FROM "${schema}".applied ORDER BY subject, sequence`)).rows;
}

async function waitForApplied(schema: string, expected: number, timeoutMs = 90_000): Promise<void> {
  await waitFor(`${expected} events applied`, async () => {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".applied`);
    if (Number(rows[0]?.n) < expected) throw new Error(`${rows[0]?.n} applied`);
  }, { timeoutMs, intervalMs: 200 });
}

/** Every stream's events applied once each, versions 1..n without gaps. */
function expectEachStreamComplete(rows: Array<{ subject: string; sequence: number }>, streams: number, perStream: number): void {
  expect(rows).toHaveLength(streams * perStream);
  const bySubject = new Map<string, number[]>();
  for (const row of rows) bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), row.sequence]);
  expect(bySubject.size).toBe(streams);
  for (const sequences of bySubject.values()) expect(sequences).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
}

afterAll(async () => {
  await pool.end();
});

describe('append → relay → Kafka → projection', () => {
  const kafka = new Kafka({ clientId: 'pipeline-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

  it('publishes each event once with three relay instances running, and projects each once', async () => {
    const { schema, topic, store } = await fixture();
    await createTopic(kafka, topic);
    const relays = [0, 1, 2].map(
      () => new OutboxRelay({ name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`, pollIntervalMs: 20, standbyRetryMs: 200 }),
    );
    await relays[0]?.migrate();
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection: countingProjection(schema, topic), decode });
    await runner.migrate();
    relays.forEach((r) => r.start());
    await runner.start();
    try {
      const streams = 20;
      const perStream = 10;
      await Promise.all(
        Array.from({ length: streams }, async (_, s) => {
          for (let v = 0; v < perStream; v += 1) {
            await store.append(`counter:${schema}:${s}`, [newEvent(`dir-${s % 4}`, v)], { expectedVersion: v });
          }
        }),
      );
      await waitForApplied(schema, streams * perStream);
      const leaders = relays.filter((r) => r.status.state === 'leading');
      expect(leaders).toHaveLength(1);
      const onTopic = await readTopic(kafka, topic, streams * perStream);
      expect([...onTopic.values()].every((n) => n === 1)).toBe(true);
      expectEachStreamComplete(await appliedRows(schema), streams, perStream);
      expect(runner.stats).toMatchObject({ applied: streams * perStream, deadLettered: 0 });
    } finally {
      await runner.stop();
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it('publishes what is already stored when it stops, even inside its coalescing window', async () => {
    const { schema, topic, store } = await fixture();
    await createTopic(kafka, topic);
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
    // Without stop's drain nothing below would be read for a minute.
    const relay = new OutboxRelay({ name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`, pollIntervalMs: 60_000, coalesceMs: 60_000, logger });
    await relay.migrate();
    relay.start();
    await waitFor('the relay to lead', async () => {
      if (!lines.some((l) => l.includes('leading from'))) throw new Error('not leading yet');
    });
    await new Promise((r) => setTimeout(r, 500)); // its first read (of an empty outbox) is done
    for (let v = 0; v < 5; v += 1) await store.append(`counter:${schema}:0`, [newEvent('dir-0', v)], { expectedVersion: v });
    const stopped = Date.now();
    await relay.stop();
    expect(Date.now() - stopped).toBeLessThan(5_000);
    expect(relay.status).toEqual({ state: 'stopped', published: 5 });
    const onTopic = await readTopic(kafka, topic, 5);
    expect([...onTopic.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(lines.filter((l) => l.startsWith('WARN') || l.startsWith('ERROR'))).toEqual([]);
  });

  it('loses nothing and applies nothing twice when relay and consumer crash at random points', async () => {
    const { schema, topic, store } = await fixture();
    await createTopic(kafka, topic);
    let relayCrashes = 0;
    let consumerCrashes = 0;
    const maybeCrash = (counter: 'relay' | 'consumer', p: number): void => {
      const crashes = counter === 'relay' ? relayCrashes : consumerCrashes;
      if (crashes < 6 && Math.random() < p) {
        if (counter === 'relay') relayCrashes += 1;
        else consumerCrashes += 1;
        throw new Error(`simulated ${counter} crash`);
      }
    };
    const relay = new OutboxRelay({
      name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`,
      pollIntervalMs: 20, standbyRetryMs: 50, batchSize: 15,
      faults: { afterPublish: () => maybeCrash('relay', 0.25) },
    });
    await relay.migrate();
    const runner = new ProjectionRunner({
      serviceName: 'test', pool, schema, kafka, projection: countingProjection(schema, topic), decode, restartDelayMs: 100,
      faults: { beforeCommit: () => maybeCrash('consumer', 0.03), afterCommit: () => maybeCrash('consumer', 0.03) },
    });
    await runner.migrate();
    relay.start();
    await runner.start();
    try {
      const streams = 12;
      const perStream = 15;
      await Promise.all(
        Array.from({ length: streams }, async (_, s) => {
          for (let v = 0; v < perStream; v += 1) {
            await store.append(`counter:${schema}:${s}`, [newEvent(`dir-${s % 3}`, v)], { expectedVersion: v });
            await new Promise((r) => setTimeout(r, Math.random() * 5));
          }
        }),
      );
      await waitForApplied(schema, streams * perStream);
      await new Promise((r) => setTimeout(r, 1_000)); // redeliveries after the last crash must change nothing
      expectEachStreamComplete(await appliedRows(schema), streams, perStream);
      expect(relayCrashes + consumerCrashes).toBeGreaterThan(0);
      expect(runner.stats.deadLettered).toBe(0);
      const onTopic = await readTopic(kafka, topic, streams * perStream);
      expect(onTopic.size).toBe(streams * perStream);
    } finally {
      await runner.stop();
      await relay.stop();
    }
  });

  it('sends undecodable messages to the dead-letter topic and keeps consuming the partition', async () => {
    const { schema, topic } = await fixture();
    await createTopic(kafka, topic, 1);
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection: countingProjection(schema, topic), decode });
    await runner.migrate();
    await runner.start();
    const producer = kafka.producer();
    await producer.connect();
    try {
      const good = (n: number): string => JSON.stringify({ id: randomUUID(), type: 'Counted', subject: 'poison:s', sequence: n, data: {} });
      await producer.send({
        topic,
        messages: [{ value: good(1) }, { value: 'this is not json' }, { value: JSON.stringify({ id: 'x' }) }, { value: good(2) }],
      });
      await waitForApplied(schema, 2);
      expect((await appliedRows(schema)).map((r) => r.sequence)).toEqual([1, 2]);
      const dlq = await readRaw(kafka, `${topic}.dlq`, 2);
      expect(dlq.map((m) => m.value)).toEqual(['this is not json', JSON.stringify({ id: 'x' })]);
      expect(dlq[0]?.reason).toMatch(/undecodable/);
      expect(runner.stats.deadLettered).toBe(2);
    } finally {
      await producer.disconnect();
      await runner.stop();
    }
  });
});

describe('a projection that throws for one event', () => {
  const kafka = new Kafka({ clientId: 'pipeline-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

  it('applies the rest of the batch and dead-letters only that event after its retries', async () => {
    const { schema, topic } = await fixture();
    await createTopic(kafka, topic, 1);
    const counting = countingProjection(schema, topic);
    const picky: Projection = {
      ...counting,
      apply: async (event, tx) => {
        if ((event.data as { poison?: boolean }).poison) throw new Error('cannot project this one');
        await counting.apply(event, tx);
      },
    };
    const producer = kafka.producer();
    await producer.connect();
    const message = (subject: string, poison: boolean): { value: string } => ({
      value: JSON.stringify({ id: randomUUID(), type: 'Counted', subject, sequence: 1, data: { poison } }),
    });
    // Sent before the runner starts, so all five arrive in one batch and one transaction.
    await producer.send({
      topic,
      messages: [message('a', false), message('b', false), message('c', true), message('d', false), message('e', false)],
    });
    await producer.disconnect();
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection: picky, decode });
    await runner.migrate();
    await runner.start();
    try {
      await waitForApplied(schema, 4);
      const dlq = await readRaw(kafka, `${topic}.dlq`, 1);
      expect(dlq[0]?.reason).toMatch(/apply failed 3 times: cannot project this one/);
      expect((await appliedRows(schema)).map((r) => r.subject)).toEqual(['a', 'b', 'd', 'e']);
      expect(runner.stats).toMatchObject({ applied: 4, deadLettered: 1 });
    } finally {
      await runner.stop();
    }
  });
});

async function readRaw(kafka: Kafka, topic: string, expected: number): Promise<Array<{ value: string; reason: string }>> {
  const seen: Array<{ value: string; reason: string }> = [];
  const consumer = kafka.consumer({ groupId: uniqueId('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ value: message.value?.toString() ?? '', reason: message.headers?.['x-dead-letter-reason']?.toString() ?? '' });
    },
  });
  await waitFor(`${expected} messages on ${topic}`, async () => {
    if (seen.length < expected) throw new Error(`${seen.length} so far`);
  });
  await consumer.disconnect();
  return seen;
}

describe('batches larger than the broker takes in one request', () => {
  const kafka = new Kafka({ clientId: 'pipeline-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

  it('publishes a batch of several MiB on one key in order, and dead-letters (without its data) only an event the broker refuses as too large', async () => {
    const { schema, topic, store } = await fixture();
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, `${topic}.dlq`, 1);
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
    // 3,000 events of ~1 KiB on one directory key: about 3 MiB, three times the broker's default
    // message.max.bytes for one record batch; the relay reads up to 2,000 at a time.
    const padding = 'x'.repeat(1_000);
    const stream = `counter:${schema}:big`;
    for (let v = 0; v < 3_000; v += 500) {
      await store.append(stream, Array.from({ length: 500 }, (_, i) => ({ ...newEvent('dir-big', v + i), data: { n: v + i, padding } })), { expectedVersion: v });
    }
    // One event alone larger than the broker's limit, then one more ordinary event behind it.
    const huge = { ...newEvent('dir-big', 3_000), data: { n: 3_000, padding: 'y'.repeat(1_200_000) } };
    await store.append(stream, [huge], { expectedVersion: 3_000 });
    await store.append(stream, [newEvent('dir-big', 3_001)], { expectedVersion: 3_001 });
    const relay = new OutboxRelay({ name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`, pollIntervalMs: 20, batchSize: 2_000, logger });
    await relay.migrate();
    relay.start();
    try {
      const sequences: number[] = [];
      const consumer = kafka.consumer({ groupId: uniqueId('big-reader'), maxBytes: 20 * 1024 * 1024 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void sequences.push((JSON.parse(message.value?.toString() ?? '{}') as { sequence: number }).sequence) });
      await waitFor('3,001 events on the topic', async () => {
        if (sequences.length < 3_001) throw new Error(`${sequences.length} so far`);
      }, { timeoutMs: 60_000, intervalMs: 100 });
      await consumer.disconnect();
      const expected = Array.from({ length: 3_002 }, (_, i) => i + 1).filter((n) => n !== 3_001);
      expect(sequences).toEqual(expected);
      const [dead] = await readRaw(kafka, `${topic}.dlq`, 1);
      expect(dead?.reason).toMatch(/too large for the broker/);
      const body = JSON.parse(dead?.value ?? '{}') as { event: { id: string; data?: unknown } };
      expect(body.event.id).toBe(huge.id);
      expect(body.event.data).toBeUndefined();
      expect(lines.filter((l) => l.startsWith('ERROR'))).toEqual([expect.stringContaining(`event ${huge.id} (Counted) is too large for the broker`)]);
      expect(relay.status.published).toBe(3_002);
    } finally {
      await relay.stop();
    }
  });
});

describe('Kafka outage', () => {
  let broker: KafkaHandle | undefined;

  afterAll(async () => {
    await broker?.stop();
  });

  it('publishes every event appended while Kafka was down once it is back, and projects each exactly once', async () => {
    const { schema, topic, store } = await fixture();
    const dataDir = join(workspaceRoot, 'tmp', uniqueId('kafka-outage'));
    const port = await randomFreePort();
    broker = await startLocalKafka({ dataDir, preferredPort: port, workspaceRoot });
    const kafka = new Kafka({ clientId: 'outage-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    await createTopic(kafka, topic);
    const relay = new OutboxRelay({
      name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`, pollIntervalMs: 20, standbyRetryMs: 100,
    });
    await relay.migrate();
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection: countingProjection(schema, topic), decode, restartDelayMs: 300 });
    await runner.migrate();
    relay.start();
    await runner.start();
    const streams = 10;
    let version = 0;
    const appendRound = async (): Promise<void> => {
      for (let s = 0; s < streams; s += 1) {
        await store.append(`counter:${schema}:${s}`, [newEvent(`dir-${s % 2}`, version)], { expectedVersion: version });
      }
      version += 1;
    };
    try {
      for (let i = 0; i < 5; i += 1) await appendRound();
      await waitForApplied(schema, 5 * streams);

      await broker.stop(); // Kafka goes away; the IdP keeps sending, appends keep being accepted
      for (let i = 0; i < 10; i += 1) await appendRound();
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".events`);
      expect(Number(rows[0]?.n)).toBe(15 * streams);

      broker = await startLocalKafka({ dataDir, preferredPort: port, workspaceRoot });
      for (let i = 0; i < 5; i += 1) await appendRound();
      await waitForApplied(schema, 20 * streams, 120_000);
      await new Promise((r) => setTimeout(r, 1_000));
      expectEachStreamComplete(await appliedRows(schema), streams, 20);
      const onTopic = await readTopic(kafka, topic, 20 * streams);
      expect(onTopic.size).toBe(20 * streams);
    } finally {
      await runner.stop();
      await relay.stop();
    }
  });

  it('starts a projection while no broker answers yet, and consumes once one does', async () => {
    const { schema, topic, store } = await fixture();
    const port = await randomFreePort();
    const kafka = new Kafka({ clientId: 'late-broker-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection: countingProjection(schema, topic), decode, restartDelayMs: 300 });
    await runner.migrate();
    // Before: start() threw here (the dead-letter topics could not be created) and took the service down.
    await runner.start();
    let late: KafkaHandle | undefined;
    try {
      late = await startLocalKafka({ dataDir: join(workspaceRoot, 'tmp', uniqueId('late-broker')), preferredPort: port, workspaceRoot });
      await createTopic(kafka, topic);
      const relay = new OutboxRelay({ name: 'main', pool, schema, store, kafka, toMessage: toMessage(topic), deadLetterTopic: `${topic}.dlq`, pollIntervalMs: 20 });
      await relay.migrate();
      relay.start();
      try {
        for (let v = 0; v < 5; v += 1) await store.append(`counter:${schema}:0`, [newEvent('dir-0', v)], { expectedVersion: v });
        await waitForApplied(schema, 5, 120_000);
        expectEachStreamComplete(await appliedRows(schema), 1, 5);
      } finally {
        await relay.stop();
      }
    } finally {
      await runner.stop();
      await late?.stop();
    }
  });
});
