import { Topics } from '@scimbridge/contracts';
import type { ProjectionLogger } from '@scimbridge/messaging';
import { inTransaction } from '@scimbridge/service-kit';
import type { Kafka } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { createGenerationQueryIndexes, createGenerationTables, generationSchema, pointViewsAt, SERVICE_SCHEMA, setGenerationAutovacuum } from '../persistence/read-model.schema';
import { ReadModelStatistics } from '../read-model/read-model.statistics';
import { readModelRunner } from '../read-model/read-model.worker';

/*
 * `npm run portal-query:rebuild`: replays the three topics from offset 0 into a fresh generation of the
 * read-model tables while the service keeps answering from the current one, then switches over in one
 * transaction (the register row and the views). Running services notice within
 * READ_MODEL_GENERATION_POLL_MS, start the new generation's consumer group where the rebuild left it and
 * stop the old one; no query is refused meanwhile. Superseded generations are dropped by the next
 * rebuild (one is kept for inspection or a manual switch back).
 */

const TOPICS = [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents];
const REPLAY_EVENTS_PER_TRANSACTION = 2_000;
const REPLAY_FETCH_BYTES_PER_PARTITION = 40 * 2 ** 20;

export interface RebuildOptions {
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly log?: ProjectionLogger;
  /** Give up if the replay has not reached the topics' ends (as they were at the start) by then. */
  readonly timeoutMs?: number;
  /** Events per replay transaction (default 2,000); tests use a few, to replay in many chunks. */
  readonly eventsPerTransaction?: number;
}

export interface RebuildReport {
  readonly previousGeneration: number;
  readonly generation: number;
  readonly schema: string;
  readonly replayedMessages: number;
  /** Replay transactions whose event log was written ahead, on a second connection. */
  readonly chunksWrittenAhead: number;
  /** From the replay's consumer running to the topics' ends applied: the catch-up itself. */
  readonly replaySeconds: number;
  /** After the replay: building the query API's indexes, vacuuming and analysing the tables. */
  readonly indexSeconds: number;
  /** The whole rebuild, including the consumer group join, stopping it and the switch-over. */
  readonly seconds: number;
}

export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildReport> {
  const started = Date.now();
  const log = options.log ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  const s = `"${SERVICE_SCHEMA}"`;
  const lockClient = await options.pool.connect();
  try {
    const { rows: locked } = await lockClient.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`${SERVICE_SCHEMA}.rebuild`]);
    if (!locked[0]?.locked) throw new Error('another rebuild of the portal read models is running');

    // Generations superseded by an earlier rebuild, or left by a failed one, go now.
    const { rows: stale } = await options.pool.query<{ generation: number; schema_name: string }>(
      `SELECT generation, schema_name FROM ${s}.read_model_generations
        WHERE state IN ('building', 'failed') OR (state = 'retired' AND generation < (SELECT max(generation) FROM ${s}.read_model_generations WHERE state = 'retired'))`,
    );
    for (const g of stale) {
      await options.pool.query(`DROP SCHEMA IF EXISTS "${g.schema_name}" CASCADE`);
      await options.pool.query(`DELETE FROM ${s}.read_model_generations WHERE generation = $1`, [g.generation]);
    }
    const { rows: gens } = await options.pool.query<{ current: number; next: number }>(
      `SELECT (SELECT generation FROM ${s}.read_model_generations WHERE state = 'current') AS current, max(generation) + 1 AS next FROM ${s}.read_model_generations`,
    );
    const previous = gens[0]?.current;
    const generation = gens[0]?.next;
    if (previous === undefined || previous === null || generation === undefined) throw new Error('no current read-model generation (migrations not run?)');
    const schema = generationSchema(generation);

    await inTransaction(options.pool, async (client) => {
      const sql = (text: string): Promise<unknown> => client.query(text);
      // The query API's indexes come after the replay (createGenerationQueryIndexes).
      await createGenerationTables(sql, schema, { deferQueryIndexes: true });
      await setGenerationAutovacuum(sql, schema, false);
      await sql(`INSERT INTO ${s}.read_model_generations (generation, schema_name, state) VALUES (${generation}, '${schema}', 'building')`);
    });

    const runner = readModelRunner(options.pool, options.kafka, { generation, schema }, log, {
      building: true,
      // Nothing reads this generation yet, so no one waits behind a long transaction: fewer, larger
      // ones (each has ~10 statements of fixed cost). A fetch brings several transactions' worth, and
      // the runner pipelines them (see ProjectionRunner.handleBatch); each fetch restarts that pipeline,
      // so fewer, larger fetches (40 MiB: under the broker's 55 MB fetch.max.bytes). 100,000 users: 500
      // events per transaction and 1 MiB fetches replayed at 7,500/s, 2,000 and 8 MiB at 9,800–10,200/s,
      // 2,000 and 16 MiB at 10,900/s; with the pipeline, 16 against 40 MiB (three pairs on a kept
      // stack): 11,827 / 11,827 / 13,467 against 12,689 / 13,649 / 13,117/s (docs/benchmarks.md).
      maxEventsPerTransaction: options.eventsPerTransaction ?? REPLAY_EVENTS_PER_TRANSACTION,
      maxBytesPerPartition: REPLAY_FETCH_BYTES_PER_PARTITION,
    });
    try {
      const admin = options.kafka.admin();
      await admin.connect();
      const targets = new Map<string, bigint>();
      try {
        // The group is new to this database; a Kafka kept from an older one may still remember it.
        const { groups } = await admin.describeGroups([runner.groupId]);
        const remembered = groups[0] !== undefined && groups[0].state !== 'Dead';
        for (const topic of TOPICS) {
          if (remembered) await admin.resetOffsets({ groupId: runner.groupId, topic, earliest: true });
          for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}/${p.partition}`, BigInt(p.high));
        }
      } finally {
        await admin.disconnect();
      }
      log.info(`rebuild: generation ${generation} replaying ${[...targets.values()].reduce((n, v) => n + v, 0n)} messages`);
      await runner.migrate();
      await runner.start();
      const replayStarted = Date.now();
      let replaySeconds = 0;
      try {
        await waitUntilReached(options.pool, schema, targets, options.timeoutMs ?? 60 * 60_000);
        replaySeconds = (Date.now() - replayStarted) / 1000;
      } finally {
        // Before the switch: the services then join a consumer group with no members (no rebalance to
        // wait for) and go on from the offsets recorded with the tables; what arrived since is theirs.
        await runner.stop();
      }
      const indexesStarted = Date.now();
      await withClient(options.pool, async (client) => {
        // Sorted builds of the query API's indexes; more sort memory than a session's default.
        await client.query(`SET maintenance_work_mem TO '256MB'`);
        try {
          await createGenerationQueryIndexes((text) => client.query(text), schema);
        } finally {
          await client.query('RESET maintenance_work_mem');
        }
      });
      // The fresh tables have no statistics and no visibility map yet: without them the first queries
      // after the switch would be planned blind, and a broad search's count would read the heap instead
      // of its index (see ReadModelStatistics). One VACUUM (ANALYZE) of the full tables.
      await new ReadModelStatistics(options.pool, schema, (m) => log.warn(m)).analyze();
      // Autovacuum back on, for what changes after the switch-over.
      await setGenerationAutovacuum((text) => options.pool.query(text), schema, true);
      const indexSeconds = (Date.now() - indexesStarted) / 1000;
      await inTransaction(options.pool, async (client) => {
        const sql = (text: string): Promise<unknown> => client.query(text);
        // Row locks: two switches cannot interleave, and the register and the views change together.
        await sql(`SELECT generation FROM ${s}.read_model_generations WHERE generation IN (${previous}, ${generation}) FOR UPDATE`);
        await sql(`UPDATE ${s}.read_model_generations SET state = 'retired' WHERE generation = ${previous}`);
        await sql(`UPDATE ${s}.read_model_generations SET state = 'current', switched_at = now() WHERE generation = ${generation}`);
        await pointViewsAt(sql, schema);
      });
      log.info(`rebuild: generation ${generation} is current`);
      return {
        previousGeneration: previous,
        generation,
        schema,
        replayedMessages: runner.stats.applied + runner.stats.skipped + runner.stats.deadLettered,
        chunksWrittenAhead: runner.stats.writtenAhead,
        replaySeconds,
        indexSeconds,
        seconds: (Date.now() - started) / 1000,
      };
    } catch (error) {
      await options.pool.query(`UPDATE ${s}.read_model_generations SET state = 'failed' WHERE generation = $1 AND state = 'building'`, [generation]).catch(() => undefined);
      throw error;
    }
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    lockClient.release();
  }
}

async function withClient(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await work(client);
  } finally {
    client.release();
  }
}

async function waitUntilReached(pool: Pool, schema: string, targets: ReadonlyMap<string, bigint>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>(`SELECT topic, partition, next_offset::text FROM "${schema}".projection_offsets`);
    const done = new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]));
    const behind = [...targets].filter(([key, end]) => (done.get(key) ?? 0n) < end);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`rebuild: replay still behind on ${behind.map(([k]) => k).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
