import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';
import { requiredEnv, uniqueId, waitFor } from '@scimbridge/testing';
import { ProjectionRunner, type DecodeResult, type Projection, type ProjectedEvent } from './projection-runner';

/**
 * The runner's batch features on real PostgreSQL and Kafka: set-based `applyBatch` (with the fall-back
 * to one event at a time), serialisation keys across topics, and lag read from its own progress.
 */
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 10 });
const kafka = new Kafka({ clientId: 'runner-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

afterAll(async () => {
  await pool.end();
});

const decode = (raw: Buffer): DecodeResult => {
  const parsed = JSON.parse(raw.toString('utf8')) as ProjectedEvent;
  return { ok: true, event: parsed };
};

async function schemaWithTable(): Promise<string> {
  const schema = `runner_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(`CREATE TABLE "${schema}".applied (event_id uuid PRIMARY KEY, subject text NOT NULL, sequence int NOT NULL, tx xid8 NOT NULL DEFAULT pg_current_xact_id())`);
  return schema;
}

async function createTopics(partitions: number, ...topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions })) });
  await admin.disconnect();
}

async function send(topic: string, events: readonly ProjectedEvent[], key = 'k'): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: events.map((e) => ({ key, value: JSON.stringify(e) })) });
  await producer.disconnect();
}

const event = (subject: string, sequence: number, data: Record<string, unknown> = {}): ProjectedEvent => ({
  id: randomUUID(),
  type: 'Counted',
  subject,
  sequence,
  data,
});

async function count(schema: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".applied`);
  return rows[0]?.n ?? 0;
}

describe('ProjectionRunner batches', () => {
  it('hands applyBatch only new events, in order, and falls back to one at a time when a batch fails', async () => {
    const schema = await schemaWithTable();
    const topic = uniqueId('batch');
    await createTopics(1, topic);
    const batches: number[] = [];
    const committed: number[] = [];
    const projection: Projection = {
      name: 'batched',
      topics: [topic],
      afterCommit: (applied) => committed.push(applied.length),
      applyBatch: async (events, tx: PoolClient) => {
        batches.push(events.length);
        if (events.some((e) => (e.data as { poison?: boolean }).poison)) throw new Error('poisoned');
        await tx.query(
          `INSERT INTO "${schema}".applied (event_id, subject, sequence) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])`,
          [events.map((e) => e.id), events.map((e) => e.subject), events.map((e) => e.sequence)],
        );
      },
    };
    const first = [event('a', 1), event('a', 2), event('b', 1), event('b', 2)];
    // The same events again (a redelivery, a relay republish), a new one, and a poisoned one.
    await send(topic, [...first, ...first, event('a', 3), event('c', 1, { poison: true }), event('b', 3)]);
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection, decode, maxApplyAttempts: 2 });
    await runner.migrate();
    await runner.start();
    try {
      await waitFor('6 applied and 1 dead-lettered', async () => {
        if ((await count(schema)) < 6 || runner.stats.deadLettered < 1) throw new Error(`${await count(schema)} applied`);
      }, { timeoutMs: 30_000, intervalMs: 100 });
      const rows = (await pool.query<{ subject: string; sequence: number }>(`SELECT subject, sequence FROM "${schema}".applied ORDER BY subject, sequence`)).rows;
      expect(rows.map((r) => `${r.subject}${r.sequence}`)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
      // One batch of the 7 new events failed; then each alone (c twice: its retry), all new, no duplicate.
      expect(batches[0]).toBe(7);
      expect(batches.slice(1).every((n) => n === 1)).toBe(true);
      expect(runner.stats).toEqual({ applied: 6, skipped: 4, deadLettered: 1, writtenAhead: 0 });
      // Told once per committed transaction that applied something, never for the rolled-back batch.
      expect(committed).toEqual([1, 1, 1, 1, 1, 1]);
      const lag = await runner.lag();
      expect(lag.total).toBe(0);
      expect(lag.partitions).toEqual([{ topic, partition: 0, end: '11', applied: '11', lag: 0 }]);
      // A poisoned event last in its partition: nothing commits after it, yet the partition counts as done.
      await send(topic, [event('d', 1, { poison: true })]);
      await waitFor('the last one dead-lettered and counted as done', async () => {
        const now = await runner.lag();
        if (runner.stats.deadLettered < 2 || now.partitions[0]?.end !== '12' || now.total !== 0) throw new Error(JSON.stringify(now));
      }, { timeoutMs: 30_000, intervalMs: 100 });
      expect(await count(schema)).toBe(6);
    } finally {
      await runner.stop();
    }
  });

  it('prepares the next chunk while one is in PostgreSQL, starts a batch with a short chunk, and applies the same with or without preparation', async () => {
    const schema = await schemaWithTable();
    const topic = uniqueId('prepare');
    await createTopics(1, topic);
    const prepared = new WeakSet<ProjectedEvent>();
    const batches: { size: number; preparedAhead: number }[] = [];
    const projection: Projection = {
      name: 'prepared',
      topics: [topic],
      prepare: (events) => {
        for (const e of events) {
          // A failing preparation is only a hint lost: the rest of that slice is applied unprepared.
          if ((e.data as { boom?: boolean }).boom) throw new Error('cannot prepare this one');
          prepared.add(e);
        }
      },
      applyBatch: async (events, tx: PoolClient) => {
        batches.push({ size: events.length, preparedAhead: events.filter((e) => prepared.has(e)).length });
        await tx.query(
          `INSERT INTO "${schema}".applied (event_id, subject, sequence) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])`,
          [events.map((e) => e.id), events.map((e) => e.subject), events.map((e) => e.sequence)],
        );
      },
    };
    const events = Array.from({ length: 40 }, (_, i) => event(`s${i % 4}`, Math.floor(i / 4) + 1, i === 30 ? { boom: true } : {}));
    await send(topic, events);
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection, decode, maxEventsPerTransaction: 8 });
    await runner.migrate();
    await runner.start();
    try {
      await waitFor('40 applied', async () => {
        if ((await count(schema)) < 40) throw new Error(`${await count(schema)} applied`);
      }, { timeoutMs: 30_000, intervalMs: 100 });
      const rows = (await pool.query<{ subject: string; sequence: number }>(`SELECT subject, sequence FROM "${schema}".applied ORDER BY tx, subject, sequence`)).rows;
      expect(rows).toHaveLength(40);
      expect(runner.stats).toEqual({ applied: 40, skipped: 0, deadLettered: 0, writtenAhead: 0 });
      // One fetch of 40: a first chunk of 1 (an eighth of 8), then full chunks.
      expect(batches.map((b) => b.size)).toEqual([1, 8, 8, 8, 8, 7]);
      // The first chunk is decoded with nothing in flight, so it is not prepared; each later chunk is
      // decoded and prepared while the one before it applies, so it is prepared before its own apply
      // begins. The exception: the failing event (the 31st) and the two after it in its slice.
      expect(batches.map((b) => b.preparedAhead)).toEqual([0, 8, 8, 8, 5, 7]);
    } finally {
      await runner.stop();
    }
  });

  it('reports lag from its own progress, before and after it applied a topic', async () => {
    const schema = await schemaWithTable();
    const topic = uniqueId('lag');
    await createTopics(2, topic);
    await send(topic, [event('x', 1), event('x', 2), event('x', 3)], 'one');
    await send(topic, [event('y', 1)], 'another-key');
    const projection: Projection = {
      name: 'lagging',
      topics: [topic],
      apply: async (e, tx) => {
        await tx.query(`INSERT INTO "${schema}".applied (event_id, subject, sequence) VALUES ($1, $2, $3)`, [e.id, e.subject, e.sequence]);
      },
    };
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection, decode });
    await runner.migrate();
    expect((await runner.lag()).total).toBe(4);
    await runner.start();
    try {
      await waitFor('lag 0', async () => {
        const lag = await runner.lag();
        if (lag.total !== 0) throw new Error(`lag ${lag.total}`);
      }, { timeoutMs: 30_000, intervalMs: 100 });
      expect(await count(schema)).toBe(4);
    } finally {
      await runner.stop();
    }
  });

  it('never applies two events with the same serialisation key at once, whatever their topic', async () => {
    const schema = await schemaWithTable();
    const [left, right] = [uniqueId('left'), uniqueId('right')];
    await createTopics(1, left, right);
    // A counter per key: each event reads it, waits, writes it + 1. Without serialisation two topics'
    // transactions read the same value and one increment is lost.
    await pool.query(`CREATE TABLE "${schema}".counter (key text PRIMARY KEY, n int NOT NULL)`);
    await pool.query(`INSERT INTO "${schema}".counter VALUES ('dir-1', 0)`);
    const projection: Projection = {
      name: 'serialised',
      topics: [left, right],
      serializationKey: (e) => (e.data as { key: string }).key,
      apply: async (e, tx) => {
        const { rows } = await tx.query<{ n: number }>(`SELECT n FROM "${schema}".counter WHERE key = $1`, [(e.data as { key: string }).key]);
        await new Promise((r) => setTimeout(r, 5));
        await tx.query(`UPDATE "${schema}".counter SET n = $2 WHERE key = $1`, [(e.data as { key: string }).key, (rows[0]?.n ?? 0) + 1]);
        await tx.query(`INSERT INTO "${schema}".applied (event_id, subject, sequence) VALUES ($1, $2, $3)`, [e.id, e.subject, e.sequence]);
      },
    };
    const perTopic = 40;
    await Promise.all([
      send(left, Array.from({ length: perTopic }, (_, i) => event('l', i + 1, { key: 'dir-1' }))),
      send(right, Array.from({ length: perTopic }, (_, i) => event('r', i + 1, { key: 'dir-1' }))),
    ]);
    const runner = new ProjectionRunner({ serviceName: 'test', pool, schema, kafka, projection, decode, maxEventsPerTransaction: 5 });
    await runner.migrate();
    await runner.start();
    try {
      await waitFor('all applied', async () => {
        if ((await count(schema)) < 2 * perTopic) throw new Error(`${await count(schema)} applied`);
      }, { timeoutMs: 60_000, intervalMs: 100 });
      const { rows } = await pool.query<{ n: number }>(`SELECT n FROM "${schema}".counter WHERE key = 'dir-1'`);
      expect(rows[0]?.n).toBe(2 * perTopic);
    } finally {
      await runner.stop();
    }
  });
});
