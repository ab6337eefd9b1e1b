/**
 * Event store, outbox relay and projection pipeline on real PostgreSQL (durable: fsync on) and a real
 * Kafka broker, each measured beside a raw baseline in the same run on the same servers:
 *
 *   append, 1 event per call      vs  plain single-row INSERT transactions (pg)
 *   append, 10 events per call    vs  plain 10-row INSERT transactions
 *   relay (events table → Kafka)  vs  plain kafkajs producer, same batch size, acks=all
 *   append → projected p50/p99    vs  plain kafkajs produce → consume, same rate
 *
 *   npx tsx bench/event-store.bench.ts [seconds-per-throughput-phase=4]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { OutboxRelay, PostgresEventStore, type NewEvent } from '@scimbridge/event-store';
import { ProjectionRunner, type DecodeResult } from '@scimbridge/messaging';
import { startInfrastructure } from '@scimbridge/testing';

const root = resolve(__dirname, '..');
const seconds = Number(process.argv[2] ?? 4);
const CONCURRENCY = 8;

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const payload = { userName: 'ada@example.com', active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: 'ada@example.com', primary: true }] };
const metadata = { directoryId: 'dir-bench', organizationId: 'org-bench', occurredAt: new Date(0).toISOString() };
const newEvent = (): NewEvent => ({ id: randomUUID(), type: 'UserProvisioned', schemaVersion: 1, data: payload, metadata });

/** Runs `op` from CONCURRENCY workers for `seconds`; returns operations per second. */
async function throughput(op: (worker: number, i: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i += 1) {
        await op(worker, i);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-es-'));
  const infra = await startInfrastructure({ workspaceRoot: root, dataRoot, mode: 'dev' });
  const pool = new Pool({ connectionString: infra.env.DATABASE_URL, max: CONCURRENCY + 6 });
  const kafka = new Kafka({ clientId: 'bench', brokers: [infra.kafka.brokers], logLevel: logLevel.NOTHING });
  const rows: string[][] = [];
  const record = (what: string, ours: number, raw: number, unit: string): void => {
    rows.push([what, `${ours.toFixed(0)} ${unit}`, `${raw.toFixed(0)} ${unit}`, `${((ours / raw) * 100).toFixed(0)}%`]);
    process.stderr.write(`${what}: ours ${ours.toFixed(0)} vs raw ${raw.toFixed(0)} ${unit}\n`);
  };
  try {
    const store = new PostgresEventStore(pool, { schema: 'bench', pollIntervalMs: 20 });
    await store.migrate();
    await pool.query('CREATE TABLE raw_events (id uuid PRIMARY KEY, stream text NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)');
    const rawInsert = (n: number): Promise<unknown> => {
      const values: string[] = [];
      const params: unknown[] = [];
      for (let k = 0; k < n; k += 1) {
        values.push(`($${k * 5 + 1}, $${k * 5 + 2}, $${k * 5 + 3}, $${k * 5 + 4}, $${k * 5 + 5})`);
        params.push(randomUUID(), 'raw', 'UserProvisioned', JSON.stringify(payload), JSON.stringify(metadata));
      }
      return pool.query(`INSERT INTO raw_events (id, stream, type, data, metadata) VALUES ${values.join(',')}`, params);
    };

    // 1. Appends. Each worker writes its own streams with a known expected version.
    const versions = new Map<string, number>();
    const appendTo = async (stream: string, n: number): Promise<void> => {
      const v = versions.get(stream) ?? 0;
      await store.append(stream, Array.from({ length: n }, newEvent), { expectedVersion: v });
      versions.set(stream, v + n);
    };
    // Raw and store phases alternate (3 rounds each) and the medians are compared, so neither side
    // profits from running first (empty tables, no checkpoint yet) or last.
    const alternate = async (raw: () => Promise<number>, ours: () => Promise<number>): Promise<[number, number]> => {
      const r: number[] = [];
      const o: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        r.push(await raw());
        o.push(await ours());
      }
      return [percentile(o, 50), percentile(r, 50)];
    };
    let round = 0;
    const [single, rawSingle] = await alternate(
      () => throughput(async () => void (await rawInsert(1))),
      () => {
        round += 1;
        return throughput((w, i) => appendTo(`directory_user:dir-bench:${round}-${w}-${i % 50}`, 1));
      },
    );
    record('append, 1 event per transaction (8 concurrent)', single, rawSingle, 'tx/s');
    const [batched, rawBatch] = await alternate(
      () => throughput(async () => void (await rawInsert(10))),
      () => {
        round += 1;
        return throughput((w, i) => appendTo(`directory_user:dir-bench:b${round}-${w}-${i % 50}`, 10));
      },
    );
    record('append, 10 events per transaction (8 concurrent)', batched * 10, rawBatch * 10, 'events/s');

    // 2. Relay: publish the backlog just written (tens of thousands of events).
    const { rows: countRows } = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM bench.events');
    const backlog = Number(countRows[0]?.n);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'bench.relay', numPartitions: 6 }, { topic: 'bench.raw', numPartitions: 6 }, { topic: 'bench.latency', numPartitions: 6 }, { topic: 'bench.raw-latency', numPartitions: 6 }] });
    const relay = new OutboxRelay({
      name: 'bench', pool, schema: 'bench', store, kafka, deadLetterTopic: 'bench.dlq', batchSize: 500, pollIntervalMs: 20,
      toMessage: (e) => ({ topic: 'bench.relay', key: String(e.metadata['directoryId']), value: JSON.stringify({ id: e.id, type: e.type, subject: e.streamId, sequence: e.streamVersion, data: e.data }) }),
    });
    await relay.migrate();
    const relayStart = performance.now();
    relay.start();
    while (relay.status.published < backlog) await new Promise((r) => setTimeout(r, 20));
    const relayRate = backlog / ((performance.now() - relayStart) / 1000);
    await relay.stop();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const rawStart = performance.now();
    const sample = JSON.stringify({ id: randomUUID(), type: 'UserProvisioned', subject: 'x', sequence: 1, data: payload });
    for (let sent = 0; sent < backlog; sent += 500) {
      const n = Math.min(500, backlog - sent);
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: 'bench.raw', messages: Array.from({ length: n }, () => ({ key: 'dir-bench', value: sample })) }] });
    }
    const rawProduce = backlog / ((performance.now() - rawStart) / 1000);
    record(`relay, ${backlog} events table → Kafka (batches of 500)`, relayRate, rawProduce, 'events/s');

    // 3. Latency at a moderate rate: append → relay → Kafka → projection committed.
    const rate = 200;
    const latencyCount = rate * 10;
    const latencies: number[] = [];
    await store.migrate();
    const runner = new ProjectionRunner({
      serviceName: 'bench', pool, schema: 'bench', kafka,
      projection: { name: 'latency', topics: ['bench.latency'], apply: async () => undefined },
      decode: (raw): DecodeResult => {
        const m = JSON.parse(raw.toString('utf8')) as { id: string; type: string; subject: string; sequence: number; data: { t: number } };
        return { ok: true, event: { id: m.id, type: m.type, subject: m.subject, sequence: m.sequence, data: m.data } };
      },
      faults: { afterCommit: (e) => void latencies.push(performance.now() + performance.timeOrigin - (e.data as { t: number }).t) },
    });
    await runner.migrate();
    await runner.start();
    const latencyRelay = new OutboxRelay({
      name: 'latency', pool, schema: 'bench', store, kafka, deadLetterTopic: 'bench.dlq', pollIntervalMs: 20,
      toMessage: (e) => ({ topic: e.type === 'Timed' ? 'bench.latency' : 'bench.ignored', key: String(e.metadata['directoryId']), value: JSON.stringify({ id: e.id, type: e.type, subject: e.streamId, sequence: e.streamVersion, data: e.data }) }),
    });
    // Start this relay at the end of the log so it only carries the timed events.
    const tail = (await store.readAll({ limit: 1_000_000 })).at(-1)?.position;
    await pool.query(`INSERT INTO bench.relay_checkpoints (name, transaction_id, global_position) VALUES ('latency', $1::text::xid8, $2)`, [tail?.transactionId.toString() ?? '0', tail?.sequence.toString() ?? '0']);
    latencyRelay.start();
    await new Promise((r) => setTimeout(r, 3_000)); // consumer group settles
    for (let i = 0; i < latencyCount; i += 1) {
      const t = performance.now() + performance.timeOrigin;
      void store.append(`timed:${i % 100}`, [{ id: randomUUID(), type: 'Timed', schemaVersion: 1, data: { t }, metadata }], { expectedVersion: 'any' });
      await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    while (latencies.length < latencyCount) await new Promise((r) => setTimeout(r, 50));
    await latencyRelay.stop();
    await runner.stop();

    const rawLatencies: number[] = [];
    const consumer = kafka.consumer({ groupId: 'bench-raw-latency' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'bench.raw-latency', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void rawLatencies.push(performance.now() + performance.timeOrigin - Number(message.value?.toString())) });
    await new Promise((r) => setTimeout(r, 3_000));
    for (let i = 0; i < latencyCount; i += 1) {
      void producer.send({ topic: 'bench.raw-latency', acks: -1, messages: [{ key: `k${i % 100}`, value: String(performance.now() + performance.timeOrigin) }] });
      await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    while (rawLatencies.length < latencyCount) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    rows.push([`append → projection committed, p50 (${rate}/s)`, `${percentile(latencies, 50).toFixed(1)} ms`, `${percentile(rawLatencies, 50).toFixed(1)} ms (produce → consume)`, '']);
    rows.push([`append → projection committed, p99 (${rate}/s)`, `${percentile(latencies, 99).toFixed(1)} ms`, `${percentile(rawLatencies, 99).toFixed(1)} ms (produce → consume)`, '']);

    const table = [
      `Event store benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, node ${process.version}, PostgreSQL (embedded, fsync on) and Kafka on this machine, ${seconds} s per throughput phase, ${CONCURRENCY} concurrent writers.`,
      '',
      '| measurement | scimbridge | raw baseline (same run) | ratio |',
      '|---|---:|---:|---:|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    writeFileSync(join(root, 'bench', 'results', 'event-store.md'), table);
  } finally {
    await pool.end();
    await infra.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

void main();
