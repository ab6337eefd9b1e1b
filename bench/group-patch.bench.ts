/**
 * Group membership PATCH under concurrency (issue 16): what OneLogin's "Set Groups" rule, Okta group push
 * and Entra do — one single-member `add` PATCH per membership change, many at once to the same group.
 * The ingress runs as its own process (as `npm start` runs it, NODE_ENV=production) on a durable
 * PostgreSQL (fsync on) and a real Kafka broker; this process is the IdP.
 *
 *   serial:   one PATCH at a time (p50 target < 4 ms)
 *   20×100:   20 groups × 100 single-member adds at c=16, workers taking the next (group, user) in turn,
 *             so several workers hit one group at once (target ≥ 1,000 PATCHes/s, p99 < 50 ms)
 *   10×1000:  10 groups × 1,000 single-member adds at c=16 (groups grow to 1,000 members)
 *
 * Afterwards every group's members (SCIM GET) and the GroupMembershipChanged events in the event store
 * are checked against what was sent: one event per PATCH, none lost, none doubled.
 *
 * Before them, unreported, a warm-up of the same shape (3,000 PATCHes over 10 groups at c=16, `--warmup=0` skips it):
 * V8 optimises the ingress's hot paths during its first thousand or so requests, and a measured phase
 * that starts cold is measuring the JIT (ingress CPU per PATCH 0.97 ms cold against 0.39–0.56 ms warm).
 *
 *   npx tsx bench/group-patch.bench.ts [--warmup=3000] [--serial=300] [--phases=20x100,10x1000] [--concurrency=16]
 *
 * Rate limits are raised for the bench (the default 200/s per directory would answer 429 here).
 * Writes bench/results/group-patch.md.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as PgClient } from 'pg';
import { randomFreePort, startInfrastructure, startServiceProcess, type ServiceProcess } from '@scimbridge/testing';
import { BenchHttp, ms, percentile, say, runBench, stopBenchStack, writeBenchResults } from './support/bench-http';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERIAL = Number(arg('serial', '300'));
const WARMUP = Number(arg('warmup', '3000'));
const PHASES = arg('phases', '20x100,10x1000')
  .split(',')
  .filter(Boolean)
  .map((p) => p.split('x').map(Number) as [number, number]);
const CONCURRENCY = Number(arg('concurrency', '16'));
const KEY = `bench-management-key-${'k'.repeat(32)}`;
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';



/** CPU seconds used so far by the process tree under `root` (utime+stime incl. reaped children), from /proc. */
function treeCpuSeconds(root: number | undefined): number {
  if (!root) return 0;
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  for (const [pid, entry] of table) {
    for (let p = pid, hops = 0; p > 1 && hops < 32; hops += 1) {
      if (p === root) {
        ticks += entry.ticks;
        break;
      }
      p = table.get(p)?.ppid ?? 0;
    }
  }
  return ticks / 100; // USER_HZ
}

const addMember = (userId: string): unknown => ({ schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });

interface Directory {
  readonly id: string;
  readonly base: string;
  readonly token: string;
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-group-patch-'));
  say('starting PostgreSQL (durable) and Kafka…');
  const infra = await startInfrastructure({ workspaceRoot: root, dataRoot, mode: 'dev' });
  Object.assign(process.env, infra.env);
  let ingress: ServiceProcess | undefined;
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    say(line);
  };
  const db = new PgClient({ connectionString: infra.env.DATABASE_URL });
  await db.connect();
  try {
    const port = await randomFreePort();
    ingress = await startServiceProcess(
      'scim-ingress',
      {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        MANAGEMENT_API_KEY: KEY,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        SCIM_RATE_LIMIT_PER_SECOND: '100000',
        SCIM_RATE_LIMIT_BURST: '100000',
        DATABASE_POOL_SIZE: '20',
      },
      // BENCH_INGRESS_NODE_ARGS: node flags for the ingress only, e.g. `--cpu-prof --cpu-prof-dir=tmp/prof`.
      { port, nodeArgs: (process.env['BENCH_INGRESS_NODE_ARGS'] ?? '').split(' ').filter(Boolean) },
    );
    const http = new BenchHttp(ingress.url, 'application/scim+json');
    const directory = async (): Promise<Directory> => {
      const org = await http.ok<{ id: string }>('POST', '/api/v1/organizations', KEY, { name: `bench-${Math.random().toString(36).slice(2, 8)}` });
      const dir = await http.ok<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/api/v1/organizations/${org.id}/directories`, KEY, { provider: 'onelogin' });
      return { id: dir.id, base: new URL(dir.endpointUrl).pathname, token: dir.bearerToken };
    };
    const users = async (d: Directory, n: number): Promise<string[]> => {
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < n) {
            const i = next++;
            const created = await http.ok<{ id: string }>('POST', `${d.base}/Users`, d.token, {
              schemas: [USER_URN],
              userName: `member${i}@bench.example.com`,
              name: { givenName: 'Member', familyName: String(i) },
              emails: [{ value: `member${i}@bench.example.com`, primary: true, type: 'work' }],
              active: true,
            });
            ids.push(created.id);
          }
        }),
      );
      return ids;
    };
    const groups = async (d: Directory, n: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let g = 0; g < n; g += 1) ids.push((await http.ok<{ id: string }>('POST', `${d.base}/Groups`, d.token, { schemas: [GROUP_URN], displayName: `OneLogin Role ${g}` })).id);
      return ids;
    };
    const membershipEvents = async (d: Directory): Promise<number> => {
      const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM scim_ingress.events WHERE type = 'GroupMembershipChanged' AND metadata ->> 'directoryId' = $1`, [d.id]);
      return Number(rows[0]?.n);
    };
    const verify = async (d: Directory, expected: Map<string, Set<string>>, patches: number): Promise<string> => {
      let wrong = 0;
      for (const [groupId, members] of expected) {
        const group = await http.ok<{ members?: { value: string }[] }>('GET', `${d.base}/Groups/${groupId}`, d.token);
        const got = new Set((group.members ?? []).map((m) => m.value));
        if (got.size !== members.size || [...members].some((m) => !got.has(m))) wrong += 1;
      }
      const events = await membershipEvents(d);
      return `${wrong === 0 ? 'every group has exactly the members sent' : `**${wrong} groups have wrong members**`}; GroupMembershipChanged events ${events} for ${patches} PATCHes${events === patches ? '' : ' **MISMATCH**'}`;
    };

    out(`Concurrency ${CONCURRENCY}; every PATCH adds one member.`);
    out('');

    // ---- serial --------------------------------------------------------------------------------------
    if (WARMUP > 0) {
      const d = await directory();
      const ids = await users(d, Math.ceil(WARMUP / 10));
      const groupIds = await groups(d, 10);
      const work: [string, string][] = [];
      for (const u of ids) for (const g of groupIds) if (work.length < WARMUP) work.push([g, u]);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < work.length) {
            const [g, u] = work[next++] as [string, string];
            await http.ok('PATCH', `${d.base}/Groups/${g}`, d.token, addMember(u));
          }
        }),
      );
      out(`- warm-up (not measured): ${work.length} PATCHes over 10 groups at c=${CONCURRENCY}`);
    }

    if (SERIAL > 0) {
      const d = await directory();
      const ids = await users(d, SERIAL + 50);
      const [groupId] = await groups(d, 1);
      for (const u of ids.slice(SERIAL)) await http.ok('PATCH', `${d.base}/Groups/${groupId}`, d.token, addMember(u)); // warm-up
      const latencies: number[] = [];
      for (const u of ids.slice(0, SERIAL)) {
        const t = performance.now();
        const reply = await http.send('PATCH', `${d.base}/Groups/${groupId}`, d.token, addMember(u));
        latencies.push(performance.now() - t);
        if (reply.status !== 200 && reply.status !== 204) throw new Error(`serial PATCH: ${reply.status} ${reply.body}`);
      }
      latencies.sort((a, b) => a - b);
      out(`- serial, one group: ${SERIAL} PATCHes, p50 **${ms(percentile(latencies, 50))} ms**, p99 ${ms(percentile(latencies, 99))} ms, max ${ms(latencies.at(-1) ?? NaN)} ms`);
      out(`  - check: ${await verify(d, new Map([[groupId as string, new Set(ids)]]), ids.length)}`);
    }

    // ---- concurrent phases ---------------------------------------------------------------------------
    for (const [groupCount, perGroup] of PHASES) {
      const d = await directory();
      const ids = await users(d, perGroup);
      const groupIds = await groups(d, groupCount);
      // Work list: round-robin over the groups, so concurrent workers hit the same groups at once.
      const work: [string, string][] = [];
      for (let u = 0; u < perGroup; u += 1) for (const g of groupIds) work.push([g, ids[u] as string]);
      const latencies: number[] = [];
      let failures = 0;
      let next = 0;
      const cpuBefore = { ingress: treeCpuSeconds(ingress.pid), postgres: treeCpuSeconds(infra.postgres.pid) };
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < work.length) {
            const [g, u] = work[next++] as [string, string];
            const t = performance.now();
            const reply = await http.send('PATCH', `${d.base}/Groups/${g}`, d.token, addMember(u));
            latencies.push(performance.now() - t);
            if (reply.status !== 200 && reply.status !== 204) {
              failures += 1;
              if (failures <= 3) say(`  PATCH failed: ${reply.status} ${reply.body.slice(0, 300)}`);
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = { ingress: treeCpuSeconds(ingress.pid) - cpuBefore.ingress, postgres: treeCpuSeconds(infra.postgres.pid) - cpuBefore.postgres };
      latencies.sort((a, b) => a - b);
      out(
        `- ${groupCount} groups × ${perGroup.toLocaleString('en')} members, c=${CONCURRENCY}: ${work.length.toLocaleString('en')} PATCHes in ${seconds.toFixed(2)} s = **${Math.round(work.length / seconds).toLocaleString('en')}/s**, ` +
          `p50 ${ms(percentile(latencies, 50))} ms, p99 **${ms(percentile(latencies, 99))} ms**, max ${ms(latencies.at(-1) ?? NaN)} ms${failures > 0 ? `, **${failures} failed**` : ''}; ` +
          `CPU per PATCH: ingress ${((cpu.ingress / work.length) * 1000).toFixed(2)} ms, PostgreSQL ${((cpu.postgres / work.length) * 1000).toFixed(2)} ms`,
      );
      out(`  - check: ${await verify(d, new Map(groupIds.map((g) => [g, new Set(ids)])), work.length)}`);
    }
    await http.close();

    const header = [
      '# Group PATCH benchmark',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/group-patch.bench.ts ${args.join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average before: ${loadBefore}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      `PostgreSQL (${infra.postgres.source}, durable: fsync on) and Kafka (${infra.kafka.source}) on this machine; the ingress runs as its own process (NODE_ENV=production, LOG_LEVEL=warn), the load generator in this one, all on the same cores.`,
      '',
    ];
    writeBenchResults(root, 'group-patch', [...header, ...lines]);
  } finally {
    await db.end().catch(() => undefined);
    await stopBenchStack(infra, dataRoot, [ingress]);
  }
}

runBench(main);
