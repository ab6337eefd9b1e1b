/**
 * The portal's read models under a directory of 100,000 users and 1,000 groups, end to end: the ingress
 * and portal-query as their own node processes (as `npm start` runs them) on a durable PostgreSQL
 * (fsync on) and a real Kafka broker; this process is the IdP (SCIM over HTTP) and the portal (query API).
 *
 *   0. seed through the ingress's SCIM API (rate limit raised): N users (default 100,000; every 4th
 *      inactive) at concurrency 16, then G groups (default 1,000) of 100 members each (POST /Groups with
 *      members). portal-query consumes meanwhile; timed until its overview shows all of them.
 *   1. query latency, one request at a time (the portal's pattern), each kind R times (default 300):
 *      first page; pages walked by cursor (userName, and createdAt desc); narrow searches (one user's
 *      number, ~1 match); broad searches (a department-wide word: every user, total capped); status and
 *      group filters; the Groups tab; a group's members.
 *   2. catch-up: `npm run portal-query:rebuild`'s code path (apps/portal-query/src/rebuild.ts, its own
 *      process) replays every topic from offset 0 into a fresh generation while the service runs:
 *      messages / seconds of the replay, and with the query indexes the rebuild builds after it.
 *   3. SCIM write → visible in the query API at moderate load: PATCH displayName of random users at a
 *      fixed rate (default 50/s and 200/s, 20 s each); one poller asks `GET /users?sort=updatedAt&
 *      order=desc&limit=200` every 5 ms and records when each write's new name first appears. Latency
 *      from the PATCH's answer (and from its send) to that moment; the 5 ms poll adds up to 5 ms.
 *
 *   npx tsx bench/portal-query.bench.ts [users=100000] [--groups=1000] [--repeats=300] [--seconds=20] [--rates=50,200] [--rebuilds=1]
 *
 * --rebuilds=N runs phase 2 N times (each a full rebuild and switch-over); with BENCH_REBUILD_TREES=a,b
 * the runs alternate between two checkouts (an interleaved A/B of the replay).
 *
 * Writes bench/results/portal-query.md.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { randomFreePort, startInfrastructure, startServiceProcess, type ServiceProcess } from '@scimbridge/testing';
import { BenchHttp, ms, percentile, say, type Reply, runBench, stopBenchStack, writeBenchResults } from './support/bench-http';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const USERS = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const GROUPS = Number(args.find((a) => a.startsWith('--groups='))?.slice(9) ?? 1_000);
const MEMBERS_PER_GROUP = 100;
const REPEATS = Number(args.find((a) => a.startsWith('--repeats='))?.slice(10) ?? 300);
const SECONDS = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 20);
const RATES = (args.find((a) => a.startsWith('--rates='))?.slice(8) ?? '50,200').split(',').map(Number);
const REBUILDS = Number(args.find((a) => a.startsWith('--rebuilds='))?.slice(11) ?? 1);
/**
 * BENCH_REBUILD_TREES: comma-separated checkouts of this repository (default: this one) whose rebuild
 * command phase 2 runs in turn, an A/B of two versions of the replay on the same stack and history.
 */
const REBUILD_TREES = (process.env['BENCH_REBUILD_TREES'] ?? root).split(',').map((t) => resolve(t));
const KEY = `bench-management-key-${'k'.repeat(32)}`;
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const DEPARTMENTS = ['Sales', 'Engineering', 'Finance', 'Support', 'Legal'];

const userName = (n: number): string => `user${n.toString().padStart(6, '0')}@bench.example.com`;



interface UserItem {
  id: string;
  userName: string;
  displayName: string | null;
}
interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
  total: number;
  totalCapped: boolean;
}
interface Overview {
  counts: { users: number; groups: number };
}

/** Runs `fn` `times` times one after the other; the latencies (ms) of the answers, sorted. */
async function timeSerial(times: number, fn: (i: number) => Promise<Reply>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const reply = await fn(i);
    if (reply.status !== 200) throw new Error(`query answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    samples.push(reply.ms);
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-portal-'));
  say('starting PostgreSQL (durable) and Kafka…');
  const infra = await startInfrastructure({ workspaceRoot: root, dataRoot, mode: 'dev' });
  Object.assign(process.env, infra.env);
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', MANAGEMENT_API_KEY: KEY, KAFKA_TOPIC_PARTITIONS: '6' };
  let ingress: ServiceProcess | undefined;
  let portal: ServiceProcess | undefined;
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    say(line);
  };
  try {
    const port = await randomFreePort();
    ingress = await startServiceProcess('scim-ingress', { ...common, PUBLIC_URL: `http://127.0.0.1:${port}`, SCIM_RATE_LIMIT_PER_SECOND: '100000', SCIM_RATE_LIMIT_BURST: '100000', DATABASE_POOL_SIZE: '20' }, { port });
    portal = await startServiceProcess('portal-query', { ...common, SCIM_INGRESS_URL: ingress.url });
    const scim = new BenchHttp(ingress.url);
    const query = new BenchHttp(portal.url);

    const org = await scim.ok<{ id: string }>('POST', '/api/v1/organizations', KEY, { name: 'bench' });
    const dir = await scim.ok<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/api/v1/organizations/${org.id}/directories`, KEY, { provider: 'onelogin' });
    const base = new URL(dir.endpointUrl).pathname;
    const token = dir.bearerToken;
    const api = `/api/v1/directories/${dir.id}`;

    // ---- 0. seed --------------------------------------------------------------------------------
    say(`provisioning ${USERS} users and ${GROUPS} groups through the ingress…`);
    const userIds: string[] = new Array<string>(USERS);
    const seedStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < USERS) {
          const n = next++;
          const created = await scim.ok<{ id: string }>('POST', `${base}/Users`, token, {
            schemas: [USER_URN, ENTERPRISE_URN],
            userName: userName(n),
            externalId: `ext-${n}`,
            name: { givenName: `Given${n}`, familyName: `Family${n % 997}` },
            displayName: `Person ${n}`,
            emails: [{ value: userName(n), type: 'work', primary: true }],
            title: 'Engineer',
            [ENTERPRISE_URN]: { department: DEPARTMENTS[n % DEPARTMENTS.length] },
            active: n % 4 !== 0,
          });
          userIds[n] = created.id;
          if (n % 10_000 === 0) say(`  ${n} users…`);
        }
      }),
    );
    const usersDone = performance.now();
    let nextGroup = 0;
    const groupIds: string[] = new Array<string>(GROUPS);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextGroup < GROUPS) {
          const g = nextGroup++;
          const members = Array.from({ length: MEMBERS_PER_GROUP }, (_, i) => ({ value: userIds[(g * MEMBERS_PER_GROUP + i) % USERS] as string }));
          const created = await scim.ok<{ id: string }>('POST', `${base}/Groups`, token, { schemas: [GROUP_URN], displayName: `Team ${g.toString().padStart(4, '0')}`, members });
          groupIds[g] = created.id;
        }
      }),
    );
    const seedDone = performance.now();
    let overview: Overview;
    for (;;) {
      overview = await query.ok<Overview>('GET', api, KEY);
      if (overview.counts.users === USERS && overview.counts.groups === GROUPS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const visible = performance.now();
    out(`## 0. Seeding ${USERS.toLocaleString('en')} users and ${GROUPS.toLocaleString('en')} groups (${MEMBERS_PER_GROUP} members each) through the ingress`);
    out(
      `- users: ${((usersDone - seedStarted) / 1000).toFixed(1)} s (${Math.round(USERS / ((usersDone - seedStarted) / 1000))} creates/s at c=16); groups: ${((seedDone - usersDone) / 1000).toFixed(1)} s; ` +
        `all of it in portal-query's overview ${((visible - seedDone) / 1000).toFixed(2)} s after the last SCIM answer (live consumption kept up while seeding).`,
    );

    // ---- 1. query latency -----------------------------------------------------------------------
    out('');
    out(`## 1. Query latency with ${USERS.toLocaleString('en')} users in one directory (one request at a time, ${REPEATS} each, limit 50)`);
    const report = (what: string, samples: readonly number[]): void =>
      out(`- ${what}: p50 ${ms(percentile(samples, 50))} ms, p99 **${ms(percentile(samples, 99))} ms**, max ${ms(samples.at(-1) ?? NaN)} ms`);
    const walk = async (path: string): Promise<number[]> => {
      let cursor: string | null = null;
      return timeSerial(REPEATS, async () => {
        const reply = await query.send('GET', `${path}${cursor ? `&cursor=${cursor}` : ''}`, KEY);
        const page = JSON.parse(reply.body) as PageOf<UserItem>;
        cursor = page.nextCursor;
        return reply;
      });
    };
    report('Users tab, first page (userName)', await timeSerial(REPEATS, () => query.send('GET', `${api}/users?limit=50`, KEY)));
    report(`Users tab, ${REPEATS} consecutive pages by cursor (userName asc)`, await walk(`${api}/users?limit=50&sort=userName`));
    report(`Users tab, ${REPEATS} consecutive pages by cursor (createdAt desc)`, await walk(`${api}/users?limit=50&sort=createdAt&order=desc`));
    report('Users tab, status=inactive, first page', await timeSerial(REPEATS, () => query.send('GET', `${api}/users?limit=50&status=inactive`, KEY)));
    report('search, narrow (a user number, e.g. `042137`: 1 match + total)', await timeSerial(REPEATS, (i) => query.send('GET', `${api}/users?limit=50&search=${(i * 7919) % USERS}`.replace(/search=(\d+)/, (_, d: string) => `search=${d.padStart(6, '0')}`), KEY)));
    report('search, family name (`family123`: ~100 matches + total)', await timeSerial(REPEATS, (i) => query.send('GET', `${api}/users?limit=50&search=family${(i * 31) % 997}`, KEY)));
    report('search, broad (`bench.example`: every user; total capped at 10,000)', await timeSerial(REPEATS, () => query.send('GET', `${api}/users?limit=50&search=bench.example`, KEY)));
    report('users of one group (groupId filter, 100 members)', await timeSerial(REPEATS, (i) => query.send('GET', `${api}/users?limit=50&groupId=${groupIds[i % GROUPS]}`, KEY)));
    report('Groups tab, first page', await timeSerial(REPEATS, () => query.send('GET', `${api}/groups?limit=50`, KEY)));
    report('Groups tab, search (`team 04`)', await timeSerial(REPEATS, () => query.send('GET', `${api}/groups?limit=50&search=team%2004`, KEY)));
    report("a group's members", await timeSerial(REPEATS, (i) => query.send('GET', `${api}/groups/${groupIds[i % GROUPS]}/members?limit=50`, KEY)));
    report('a user', await timeSerial(REPEATS, (i) => query.send('GET', `${api}/users/${userIds[(i * 7919) % USERS]}`, KEY)));
    report('event log, first page (without request lookup)', await timeSerial(REPEATS, () => query.send('GET', `${api}/events?limit=50&withRequests=false`, KEY)));

    // ---- 2. catch-up ------------------------------------------------------------------------------
    out('');
    out('## 2. Catch-up: replay of every topic from offset 0 into a fresh generation (the rebuild command, service running)');
    for (let run = 0; run < REBUILDS; run += 1) {
      const tree = REBUILD_TREES[run % REBUILD_TREES.length] as string;
      const rebuildOutput = await new Promise<string>((resolvePromise, reject) => {
        execFile(
          process.execPath,
          // BENCH_REBUILD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=tmp/prof", profiles the replay.
          [...(process.env['BENCH_REBUILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean), '-r', '@swc-node/register', 'apps/portal-query/src/rebuild.ts'],
          { cwd: tree, env: { ...process.env, ...common, SCIM_INGRESS_URL: ingress?.url ?? '' }, maxBuffer: 16 * 2 ** 20 },
          (error, stdout, stderr) => (error ? reject(new Error(`rebuild failed: ${stderr}${stdout}`)) : resolvePromise(stdout)),
        );
      });
      const done = /done in ([\d.]+) s: .* (\d+) messages replayed in ([\d.]+) s; query indexes and statistics in ([\d.]+) s/.exec(rebuildOutput);
      if (!done) throw new Error(`cannot read the rebuild's report: ${rebuildOutput}`);
      const [seconds, messages, replaySeconds, indexSeconds] = [Number(done[1]), Number(done[2]), Number(done[3]), Number(done[4])];
      out(
        `- ${REBUILDS > 1 ? `run ${run + 1}${REBUILD_TREES.length > 1 ? ` (${tree})` : ''}: ` : ''}` +
          `${messages.toLocaleString('en')} messages replayed in ${replaySeconds.toFixed(2)} s = **${Math.round(messages / replaySeconds).toLocaleString('en')} events/s** ` +
          `(from the replay's consumer running to the topics' ends applied); then the query API's indexes built and the tables vacuumed and analysed in ${indexSeconds.toFixed(2)} s ` +
          `(replay + indexes = ${Math.round(messages / (replaySeconds + indexSeconds)).toLocaleString('en')} events/s); ` +
          `the whole rebuild took ${seconds.toFixed(1)} s (tables, consumer-group join, replay, indexes, stopping the consumer, switch-over) while the service kept answering from the old generation`,
      );

      // The service follows the switch-over on its own (generation poll, then a consumer-group join for
      // the new generation's runner); meanwhile the new generation does not advance. Phase 3 measures
      // steady-state latency, so it starts once the service runs the new generation with no lag, and that
      // pause is reported here instead.
      const generationDone = /generation \d+ → (\d+)/.exec(rebuildOutput);
      const rebuiltGeneration = generationDone ? Number(generationDone[1]) : NaN;
      const followStarted = performance.now();
      for (;;) {
        const reply = await query.send('GET', '/api/v1/projections/lag', KEY);
        const lagNow = reply.status === 200 ? (JSON.parse(reply.body) as { total: number; generation: number }) : undefined;
        if (lagNow && lagNow.generation === rebuiltGeneration && lagNow.total === 0) break;
        if (performance.now() - followStarted > 60_000) throw new Error(`portal-query did not follow the rebuild to generation ${rebuiltGeneration}: ${reply.body}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      out(`- after the switch-over the service ran generation ${rebuiltGeneration} with no lag ${((performance.now() - followStarted) / 1000).toFixed(2)} s after the rebuild command ended (generation poll + consumer-group join; the new generation does not advance meanwhile)`);
    }

    // ---- 3. write → visible -----------------------------------------------------------------------
    out('');
    out('## 3. SCIM write → visible in the query API at moderate load');
    let seq = 0;
    for (const rate of RATES) {
      const samples = Math.floor(rate * SECONDS);
      const sentAt = new Map<string, number>();
      const answeredAt = new Map<string, number>();
      const seenAt = new Map<string, number>();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const reply = await query.send('GET', `${api}/users?sort=updatedAt&order=desc&limit=200`, KEY);
          const now = performance.now();
          for (const u of (JSON.parse(reply.body) as PageOf<UserItem>).items) {
            if (u.displayName && sentAt.has(u.displayName) && !seenAt.has(u.displayName)) seenAt.set(u.displayName, now);
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const interval = 1000 / rate;
      const started = performance.now();
      const inflight: Promise<void>[] = [];
      const names: string[] = [];
      for (let i = 0; i < samples; i += 1) {
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const name = `Renamed ${rate}/${(seq += 1)}`;
        names.push(name);
        const userId = userIds[(seq * 104_729) % USERS] as string;
        sentAt.set(name, performance.now());
        inflight.push(
          scim.ok('PATCH', `${base}/Users/${userId}`, token, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: name }] }).then(() => void answeredAt.set(name, performance.now())),
        );
      }
      await Promise.all(inflight);
      const sent = (performance.now() - started) / 1000;
      const deadline = performance.now() + 30_000;
      while (names.some((n) => !seenAt.has(n)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      polling = false;
      await poller;
      const fromAnswer: number[] = [];
      const fromSend: number[] = [];
      let missing = 0;
      for (const n of names) {
        const seen = seenAt.get(n);
        const answered = answeredAt.get(n);
        const sentTime = sentAt.get(n);
        if (seen === undefined || answered === undefined || sentTime === undefined) {
          missing += 1;
          continue;
        }
        fromAnswer.push(Math.max(0, seen - answered));
        fromSend.push(seen - sentTime);
      }
      fromAnswer.sort((a, b) => a - b);
      fromSend.sort((a, b) => a - b);
      out(
        `- ${rate} PATCH/s (${samples} in ${sent.toFixed(1)} s): SCIM answer → visible p50 **${ms(percentile(fromAnswer, 50))} ms**, p99 **${ms(percentile(fromAnswer, 99))} ms**, max ${ms(fromAnswer.at(-1) ?? NaN)} ms; ` +
          `SCIM send → visible p50 ${ms(percentile(fromSend, 50))} ms, p99 ${ms(percentile(fromSend, 99))} ms${missing > 0 ? `; ${missing} writes NEVER SEEN within 30 s` : ''}`,
      );
    }

    const lag = await query.ok<{ total: number; generation: number }>('GET', '/api/v1/projections/lag', KEY);
    out('');
    out(`Afterwards: consumer lag ${lag.total} messages, read-model generation ${lag.generation}.`);
    await scim.close();
    await query.close();

    const header = [
      '# Portal query benchmark',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/portal-query.bench.ts ${args.join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average before: ${loadBefore}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      `PostgreSQL (${infra.postgres.source}, durable: fsync on) and Kafka (${infra.kafka.source}) on this machine; the ingress and portal-query run as their own processes (NODE_ENV=production, LOG_LEVEL=warn), the load generator in this one, all on the same cores. Latencies are measured by this process over HTTP/1.1 keep-alive (undici).`,
      '',
    ];
    writeBenchResults(root, 'portal-query', [...header, ...lines]);
  } finally {
    await stopBenchStack(infra, dataRoot, [portal, ingress]);
  }
}

runBench(main);
