/**
 * Webhook delivery under load, end to end: the ingress and webhook-delivery as their own node processes
 * (as `npm start` runs them) on a durable PostgreSQL (fsync on) and a real Kafka broker; this process is
 * the IdP (SCIM over HTTP), the app's backend (management API) and the app's webhook receiver (node:http
 * on 127.0.0.1, answering 204 at once, every signature verified with the standard-webhooks library).
 *
 *   1. throughput: webhook-delivery is stopped, N events are produced (user creates, spread over D
 *      directories of one organization with one webhook), then it starts; timed from its start to the
 *      receiver having every event: consuming + storing + fan-out + signed delivery, from a backlog.
 *      Run for D = 1 (one line: strictly one delivery at a time) and D = 8 (eight lines in parallel).
 *   2. latency at moderate load: user creates at a fixed rate (default 20/s and 100/s, 15 s each) over 4
 *      directories; per event, from the envelope's `time` (the ingress's clock at accept, same machine) to
 *      the receiver's arrival, and from the SCIM POST's answer to the arrival.
 *
 *   npx tsx bench/webhook-delivery.bench.ts [events=3000] [--seconds=15] [--rates=20,100]
 *
 * Writes bench/results/webhook-delivery.md.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { randomFreePort, startInfrastructure, startServiceProcess, type ServiceProcess } from '@scimbridge/testing';
import { BenchHttp, ms, percentile, say, runBench, stopBenchStack, writeBenchResults } from './support/bench-http';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const EVENTS = Number(args.find((a) => /^\d+$/.test(a)) ?? 3_000);
const SECONDS = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 15);
const RATES = (args.find((a) => a.startsWith('--rates='))?.slice(8) ?? '20,100').split(',').map(Number);
const KEY = `bench-management-key-${'k'.repeat(32)}`;
const SECRET_KEY = `bench-webhook-secret-key-${'s'.repeat(32)}`;
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

interface Arrival {
  readonly at: number;
  readonly wallMs: number;
  readonly time: string;
  readonly directoryId: string;
}

/** The app's webhook endpoint: verifies each signature, answers 204, keeps the first arrival per webhook-id. */
class Receiver {
  readonly arrivals = new Map<string, Arrival>();
  duplicates = 0;
  badSignatures = 0;
  private server: Server | undefined;
  private webhook: Webhook | undefined;
  url = '';

  setSecret(secret: string): void {
    this.webhook = new Webhook(secret);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const at = performance.now();
        const wallMs = Date.now();
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(request.headers['webhook-id']);
        try {
          this.webhook?.verify(body, {
            'webhook-id': id,
            'webhook-timestamp': String(request.headers['webhook-timestamp']),
            'webhook-signature': String(request.headers['webhook-signature']),
          });
        } catch {
          this.badSignatures += 1;
        }
        if (this.arrivals.has(id)) this.duplicates += 1;
        else {
          const envelope = JSON.parse(body) as { time: string; directoryid: string };
          this.arrivals.set(id, { at, wallMs, time: envelope.time, directoryId: envelope.directoryid });
        }
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => (this.server as Server).listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async waitFor(count: number, timeoutMs = 600_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.arrivals.size < count) {
      if (performance.now() > deadline) throw new Error(`only ${this.arrivals.size} of ${count} deliveries`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return performance.now();
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-webhooks-'));
  say('starting PostgreSQL (durable) and Kafka…');
  const infra = await startInfrastructure({ workspaceRoot: root, dataRoot, mode: 'dev' });
  Object.assign(process.env, infra.env);
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', MANAGEMENT_API_KEY: KEY, KAFKA_TOPIC_PARTITIONS: '6' };
  let ingress: ServiceProcess | undefined;
  let webhooks: ServiceProcess | undefined;
  const receiver = new Receiver();
  await receiver.start();
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    say(line);
  };
  const webhookPort = await randomFreePort();
  const startWebhooks = async (): Promise<ServiceProcess> =>
    startServiceProcess(
      'webhook-delivery',
      { ...common, SCIM_INGRESS_URL: (ingress as ServiceProcess).url, WEBHOOK_SECRET_KEY: SECRET_KEY, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
      { port: webhookPort, readyTimeoutMs: 90_000 },
    );
  try {
    const port = await randomFreePort();
    ingress = await startServiceProcess('scim-ingress', { ...common, PUBLIC_URL: `http://127.0.0.1:${port}`, SCIM_RATE_LIMIT_PER_SECOND: '100000', SCIM_RATE_LIMIT_BURST: '100000', DATABASE_POOL_SIZE: '20' }, { port });
    webhooks = await startWebhooks();
    const scimHttp = new BenchHttp(ingress.url);

    /** A new organization with one webhook to the receiver and `count` OneLogin directories. */
    const setup = async (count: number): Promise<{ base: string; token: string; id: string }[]> => {
      const org = await scimHttp.ok<{ id: string }>('POST', '/api/v1/organizations', KEY, { name: `bench-${Date.now()}` });
      // A fresh client: the service restarts between runs (same port), so no stale keep-alive sockets.
      const hookHttp = new BenchHttp((webhooks as ServiceProcess).url);
      const hook = await hookHttp.ok<{ secret: string }>('POST', `/api/v1/organizations/${org.id}/webhooks`, KEY, { url: receiver.url });
      await hookHttp.close();
      receiver.setSecret(hook.secret);
      const directories = [];
      for (let i = 0; i < count; i += 1) {
        const dir = await scimHttp.ok<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/api/v1/organizations/${org.id}/directories`, KEY, { provider: 'onelogin' });
        directories.push({ base: new URL(dir.endpointUrl).pathname, token: dir.bearerToken, id: dir.id });
      }
      return directories;
    };
    let userSeq = 0;
    const createUser = async (dir: { base: string; token: string }): Promise<number> => {
      const n = userSeq++;
      await scimHttp.ok('POST', `${dir.base}/Users`, dir.token, {
        schemas: [USER_URN],
        userName: `user${n}@bench.example.com`,
        name: { givenName: 'Bench', familyName: `User ${n}` },
        emails: { value: `user${n}@bench.example.com`, type: 'work', primary: true },
        active: 'true',
      });
      return performance.now();
    };

    // ---- 1. throughput from a backlog ----------------------------------------------------------------
    out(`## 1. Delivering a backlog of ~${EVENTS.toLocaleString('en')} events`);
    for (const count of [1, 8]) {
      const directories = await setup(count);
      // The directories' own events (created, token issued), delivered while the service runs: wait until quiet.
      let setupEvents = -1;
      while (receiver.arrivals.size !== setupEvents) {
        setupEvents = receiver.arrivals.size;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      await (webhooks as ServiceProcess).stop();
      const perDirectory = Math.ceil(EVENTS / count);
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < perDirectory * count) {
            const n = next++;
            await createUser(directories[n % count] as { base: string; token: string });
          }
        }),
      );
      say(`  ${perDirectory * count} users created in ${((performance.now() - started) / 1000).toFixed(1)} s while webhook-delivery was down`);
      const target = setupEvents + perDirectory * count;
      const restart = performance.now();
      webhooks = await startWebhooks();
      const ready = performance.now();
      let first = NaN;
      while (receiver.arrivals.size === setupEvents) await new Promise((r) => setTimeout(r, 2));
      first = performance.now();
      const last = await receiver.waitFor(target);
      const n = perDirectory * count;
      out(
        `- ${count} director${count === 1 ? 'y' : 'ies'} (${count} line${count === 1 ? '' : 's'}): ${n.toLocaleString('en')} deliveries, first → last ${((last - first) / 1000).toFixed(2)} s = **${Math.round(n / ((last - first) / 1000))} deliveries/s** ` +
          `(process start → ready ${((ready - restart) / 1000).toFixed(1)} s, ready → first delivery ${ms(first - ready)} ms, ready → last ${((last - ready) / 1000).toFixed(2)} s = ${Math.round(n / ((last - ready) / 1000))}/s)`,
      );
    }
    const hookHttp2 = new BenchHttp((webhooks as ServiceProcess).url);

    // ---- 2. latency at a fixed rate --------------------------------------------------------------------
    out('');
    out(`## 2. Event → delivery latency at a fixed rate (${SECONDS} s per rate, 4 directories)`);
    for (const rate of RATES) {
      const org = await scimHttp.ok<{ id: string }>('POST', '/api/v1/organizations', KEY, { name: `bench-latency-${rate}` });
      const hook = await hookHttp2.ok<{ secret: string }>('POST', `/api/v1/organizations/${org.id}/webhooks`, KEY, { url: receiver.url, eventTypes: ['UserProvisioned'] });
      receiver.setSecret(hook.secret);
      const dirs: { base: string; token: string; id: string }[] = [];
      for (let i = 0; i < 4; i += 1) {
        const dir = await scimHttp.ok<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/api/v1/organizations/${org.id}/directories`, KEY, { provider: 'onelogin' });
        dirs.push({ base: new URL(dir.endpointUrl).pathname, token: dir.bearerToken, id: dir.id });
      }
      const dirIds = new Set(dirs.map((d) => d.id));
      const before = receiver.arrivals.size;
      const total = rate * SECONDS;
      const answeredAt: number[] = [];
      const started = performance.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < total; i += 1) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(createUser(dirs[i % 4] as { base: string; token: string }).then((t) => void answeredAt.push(t)));
      }
      await Promise.all(pending);
      await receiver.waitFor(before + total, 120_000);
      const arrivals = [...receiver.arrivals.values()].filter((a) => dirIds.has(a.directoryId));
      const fromTime = arrivals.map((a) => a.wallMs - Date.parse(a.time)).sort((a, b) => a - b);
      // SCIM answer → arrival: the i-th answer of a directory against that directory's i-th arrival is
      // not exact under concurrency, so this uses the order-free form: sorted answers vs sorted arrivals.
      const sortedArrivals = arrivals.map((a) => a.at).sort((a, b) => a - b);
      const sortedAnswers = [...answeredAt].sort((a, b) => a - b);
      const fromAnswer = sortedArrivals.map((t, i) => t - (sortedAnswers[i] as number)).sort((a, b) => a - b);
      out(
        `- ${rate}/s (${total} events): event time → receiver p50 **${ms(percentile(fromTime, 50))} ms**, p99 **${ms(percentile(fromTime, 99))} ms**, max ${ms(fromTime[fromTime.length - 1] as number)} ms; ` +
          `SCIM answer → receiver p50 ${ms(percentile(fromAnswer, 50))} ms, p99 ${ms(percentile(fromAnswer, 99))} ms`,
      );
    }
    out('');
    out(`Receiver: ${receiver.arrivals.size} distinct webhook-ids, ${receiver.duplicates} repeats, ${receiver.badSignatures} signatures that did not verify.`);
    await hookHttp2.close();
    await scimHttp.close();

    const header = [
      '# Webhook delivery benchmark',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/webhook-delivery.bench.ts ${args.join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average before: ${loadBefore}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      `PostgreSQL (${infra.postgres.source}, durable: fsync on) and Kafka (${infra.kafka.source}) on this machine; the ingress and webhook-delivery run as their own processes (NODE_ENV=production, LOG_LEVEL=warn, WEBHOOK_CONCURRENCY 16), the load generator and the receiver in this one, all on the same cores.`,
      '',
    ];
    writeBenchResults(root, 'webhook-delivery', [...header, ...lines]);
  } finally {
    await receiver.stop();
    await stopBenchStack(infra, dataRoot, [webhooks, ingress]);
  }
}

runBench(main);
