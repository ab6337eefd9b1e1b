/**
 * Role assignment under load, end to end: the ingress and role-assignment as their own node processes
 * (as `npm start` runs them) on a durable PostgreSQL (fsync on) and a real Kafka broker; this process is
 * the IdP (SCIM over HTTP), the app's backend (management API) and a downstream app (a Kafka consumer of
 * scim.directory.events, scim.role-mapping.events and scim.role.events).
 *
 *   1. bulk: a group of N members (default 10,000) is mapped to a new role with one PUT
 *      /role-mappings; timed from the PUT's answer until the consumer has all N RoleAssigned. Then the
 *      group is mapped to a second role (N more), then the mapping is removed (2N RoleRevoked).
 *   2. latency at moderate load: single-member PATCH adds to ten mapped groups in turn at a fixed rate (default 50/s
 *      and 200/s, 20 s each); per membership change, the time from the GroupMembershipChanged reaching the
 *      consumer to the RoleAssigned reaching it (directory event → role event), and from the PATCH's
 *      answer to the RoleAssigned (SCIM write → role event, including the ingress's relay).
 *
 *   npx tsx bench/role-assignment.bench.ts [members=10000] [--seconds=20] [--rates=50,200]
 *
 * Writes bench/results/role-assignment.md.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { parseEnvelope, Topics, type RoleAssigned } from '@scimbridge/contracts';
import { randomFreePort, startInfrastructure, startServiceProcess, type ServiceProcess } from '@scimbridge/testing';
import { BenchHttp, ms, percentile, say, runBench, stopBenchStack, writeBenchResults } from './support/bench-http';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const MEMBERS = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const SECONDS = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 20);
const RATES = (args.find((a) => a.startsWith('--rates='))?.slice(8) ?? '50,200').split(',').map(Number);
const LATENCY_GROUPS = 10;
const KEY = `bench-management-key-${'k'.repeat(32)}`;
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';




/** What the downstream consumer saw, with the time it saw it. */
class Downstream {
  private consumer: Consumer | undefined;
  /** role events: `${userId}|${role}|${type}` → arrival ms. */
  readonly roleArrivals = new Map<string, number>();
  /** membership changes: added userId → arrival ms. */
  readonly joinArrivals = new Map<string, number>();
  readonly counts = new Map<string, number>();

  constructor(private readonly kafka: Kafka, private readonly directoryId: string) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `bench-downstream-${Date.now()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    for (const topic of [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents]) await this.consumer.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const ready = new Promise<void>((r) => (joined = r));
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined());
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) {
          const parsed = parseEnvelope(message.value);
          if (!parsed.ok || parsed.envelope.directoryid !== this.directoryId) continue;
          const event = parsed.event;
          this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
          if (event.type === 'RoleAssigned' || event.type === 'RoleRevoked') {
            const data = (event as RoleAssigned).data;
            this.roleArrivals.set(`${data.userId}|${data.role}|${event.type}`, now);
          } else if (event.type === 'GroupMembershipChanged') {
            for (const u of event.data.added) this.joinArrivals.set(u, now);
          }
        }
      },
    });
    await ready;
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  async waitFor(type: string, atLeast: number, timeoutMs = 300_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.count(type) < atLeast) {
      if (performance.now() > deadline) throw new Error(`only ${this.count(type)} of ${atLeast} ${type}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now();
  }

  stop(): Promise<void> {
    return this.consumer?.disconnect() ?? Promise.resolve();
  }
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-roles-'));
  say('starting PostgreSQL (durable) and Kafka…');
  // BENCH_PG_EXPLAIN_MS=<ms>: PostgreSQL logs the plan (EXPLAIN ANALYZE) of every statement slower than
  // that into BENCH_PG_LOG (default tmp/bench-roles-postgres.log), to see where a slow phase spends its time.
  const explainMs = process.env['BENCH_PG_EXPLAIN_MS'];
  const pgLog = process.env['BENCH_PG_LOG'] ?? join(root, 'tmp', 'bench-roles-postgres.log');
  const infra = await startInfrastructure({
    workspaceRoot: root,
    dataRoot,
    mode: 'dev',
    ...(explainMs ? { onLog: (source: 'postgres' | 'kafka', line: string) => void (source === 'postgres' && appendFileSync(pgLog, `${line}\n`)) } : {}),
  });
  Object.assign(process.env, infra.env);
  if (explainMs) {
    const admin = new PgClient({ connectionString: infra.env.DATABASE_URL });
    await admin.connect();
    const db = admin.escapeIdentifier(admin.database ?? 'postgres');
    for (const setting of [`session_preload_libraries = 'auto_explain'`, `auto_explain.log_min_duration = '${Number(explainMs)}ms'`, 'auto_explain.log_analyze = on', 'auto_explain.log_nested_statements = on']) {
      await admin.query(`ALTER DATABASE ${db} SET ${setting}`);
    }
    await admin.end();
    say(`slow statements' plans go to ${pgLog}`);
  }
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', MANAGEMENT_API_KEY: KEY, KAFKA_TOPIC_PARTITIONS: '6' };
  let ingress: ServiceProcess | undefined;
  let roles: ServiceProcess | undefined;
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    say(line);
  };
  try {
    const port = await randomFreePort();
    ingress = await startServiceProcess('scim-ingress', { ...common, PUBLIC_URL: `http://127.0.0.1:${port}`, SCIM_RATE_LIMIT_PER_SECOND: '100000', SCIM_RATE_LIMIT_BURST: '100000', DATABASE_POOL_SIZE: '20' }, { port });
    roles = await startServiceProcess('role-assignment', { ...common, SCIM_INGRESS_URL: ingress.url });
    const scimHttp = new BenchHttp(ingress.url);
    const rolesHttp = new BenchHttp(roles.url);

    const org = await scimHttp.ok<{ id: string }>('POST', '/api/v1/organizations', KEY, { name: 'bench' });
    const dir = await scimHttp.ok<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/api/v1/organizations/${org.id}/directories`, KEY, { provider: 'onelogin' });
    const base = new URL(dir.endpointUrl).pathname;
    const token = dir.bearerToken;
    await rolesHttp.ok('PUT', `/api/v1/organizations/${org.id}/roles`, KEY, {
      roles: ['bulk', 'bulk2', 'member', 'latency'].map((key) => ({ key, displayName: key })),
    });
    const kafka = new Kafka({ clientId: 'bench-downstream', brokers: infra.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
    const downstream = new Downstream(kafka, dir.id);
    await downstream.start();

    // ---- setup: N users, one group holding all of them --------------------------------------------
    say(`provisioning ${MEMBERS} users…`);
    const userIds: string[] = [];
    const setupStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MEMBERS) {
          const n = next++;
          const created = await scimHttp.ok<{ id: string }>('POST', `${base}/Users`, token, { schemas: [USER_URN], userName: `user${n}@bench.example.com`, active: true });
          userIds.push(created.id);
        }
      }),
    );
    const group = await scimHttp.ok<{ id: string }>('POST', `${base}/Groups`, token, { schemas: [GROUP_URN], displayName: 'Everyone', members: userIds.map((value) => ({ value })) });
    say(`  ${MEMBERS} users and their group in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);
    // role-assignment must have applied the group (with its members) before a mapping may name it.
    for (;;) {
      const preview = await rolesHttp.send('POST', `/api/v1/directories/${dir.id}/role-mappings/preview`, KEY, { mappings: [{ groupId: group.id, roles: [] }] });
      if (preview.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await downstream.waitFor('GroupCreated', 1);

    // ---- 1. bulk --------------------------------------------------------------------------------
    out(`## 1. Mapping a group of ${MEMBERS.toLocaleString('en')} members`);
    const bulkRuns: [string, unknown, string, number][] = [
      ['map the group to a new role', { mappings: [{ groupId: group.id, roles: ['bulk'] }] }, 'RoleAssigned', MEMBERS],
      ['add a second role to its mapping', { mappings: [{ groupId: group.id, roles: ['bulk', 'bulk2'] }] }, 'RoleAssigned', 2 * MEMBERS],
      ['remove the mapping (both roles)', { mappings: [] }, 'RoleRevoked', 2 * MEMBERS],
    ];
    for (const [what, body, type, total] of bulkRuns) {
      const before = downstream.count(type);
      const expected = total - before;
      const put = await rolesHttp.ok<{ version: number }>('PUT', `/api/v1/directories/${dir.id}/role-mappings`, KEY, body);
      const answered = performance.now();
      const mappingSeen = await downstream.waitFor('RoleMappingsChanged', put.version);
      // First and last role event of this run.
      let first = NaN;
      while (downstream.count(type) === before) await new Promise((r) => setTimeout(r, 2));
      first = performance.now();
      const last = await downstream.waitFor(type, total);
      const seconds = (last - answered) / 1000;
      out(
        `- ${what}: ${expected.toLocaleString('en')} ${type} in ${seconds.toFixed(2)} s after the PUT answered = **${Math.round(expected / seconds).toLocaleString('en')} events/s** ` +
          `(RoleMappingsChanged on Kafka after ${ms(mappingSeen - answered)} ms, first role event after ${ms(first - answered)} ms, first → last ${((last - first) / 1000).toFixed(2)} s)`,
      );
    }

    // ---- 2. latency at moderate load --------------------------------------------------------------
    // Ten groups mapped to one role, PATCHed in turn: a single group's PATCH rate is the ingress's limit
    // (issue 16), not role-assignment's, and would cap the offered load below 200/s.
    const latencyGroups: { id: string }[] = [];
    for (let g = 0; g < LATENCY_GROUPS; g += 1) {
      latencyGroups.push(await scimHttp.ok<{ id: string }>('POST', `${base}/Groups`, token, { schemas: [GROUP_URN], displayName: `Latency ${g}` }));
    }
    for (;;) {
      const put = await rolesHttp.send('PUT', `/api/v1/directories/${dir.id}/role-mappings`, KEY, { mappings: latencyGroups.map((g) => ({ groupId: g.id, roles: ['latency'] })) });
      if (put.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await downstream.waitFor('RoleMappingsChanged', 4);
    out('');
    out('## 2. Directory event → role event latency at moderate load');
    let cursor = 0;
    for (const rate of RATES) {
      const samples = Math.min(Math.floor(rate * SECONDS), userIds.length - cursor);
      const answeredAt = new Map<string, number>();
      const interval = 1000 / rate;
      const started = performance.now();
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < samples; i += 1) {
        const userId = userIds[cursor + i] as string;
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(
          scimHttp
            .ok('PATCH', `${base}/Groups/${(latencyGroups[i % LATENCY_GROUPS] as { id: string }).id}`, token, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] })
            .then(() => void answeredAt.set(userId, performance.now())),
        );
      }
      await Promise.all(inflight);
      const sent = (performance.now() - started) / 1000;
      const ids = userIds.slice(cursor, cursor + samples);
      cursor += samples;
      const deadline = performance.now() + 60_000;
      while (ids.some((u) => !downstream.roleArrivals.has(`${u}|latency|RoleAssigned`)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const eventToEvent: number[] = [];
      const writeToEvent: number[] = [];
      let missing = 0;
      for (const u of ids) {
        const role = downstream.roleArrivals.get(`${u}|latency|RoleAssigned`);
        const join = downstream.joinArrivals.get(u);
        const answered = answeredAt.get(u);
        if (role === undefined || join === undefined || answered === undefined) {
          missing += 1;
          continue;
        }
        eventToEvent.push(role - join);
        writeToEvent.push(role - answered);
      }
      eventToEvent.sort((a, b) => a - b);
      writeToEvent.sort((a, b) => a - b);
      out(
        `- ${rate} membership PATCHes/s offered over ${LATENCY_GROUPS} groups (${samples} answered in ${sent.toFixed(1)} s = ${Math.round(samples / sent)}/s): directory event → role event p50 **${ms(percentile(eventToEvent, 50))} ms**, p99 **${ms(percentile(eventToEvent, 99))} ms**, max ${ms(eventToEvent.at(-1) ?? NaN)} ms; ` +
          `SCIM answer → role event p50 ${ms(percentile(writeToEvent, 50))} ms, p99 ${ms(percentile(writeToEvent, 99))} ms${missing > 0 ? `; ${missing} role events MISSING` : ''}`,
      );
    }

    const counts = [...downstream.counts].map(([t, n]) => `${t} ${n}`).join(', ');
    out('');
    out(`Events the downstream consumer received for the directory: ${counts}.`);
    await downstream.stop();
    await scimHttp.close();
    await rolesHttp.close();

    const header = [
      '# Role assignment benchmark',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/role-assignment.bench.ts ${args.join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average before: ${loadBefore}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      `PostgreSQL (${infra.postgres.source}, durable: fsync on) and Kafka (${infra.kafka.source}) on this machine; the ingress and role-assignment run as their own processes (NODE_ENV=production, LOG_LEVEL=warn), the load generator and the downstream consumer in this one, all on the same cores.`,
      '',
    ];
    writeBenchResults(root, 'role-assignment', [...header, ...lines]);
  } finally {
    await stopBenchStack(infra, dataRoot, [roles, ingress]);
  }
}

runBench(main);
