/**
 * The SCIM ingress under OneLogin-shaped traffic, end to end: the real service as its own node process
 * (exactly as `npm start` runs it: `node -r @swc-node/register apps/scim-ingress/src/main.ts`) on real
 * PostgreSQL (durable: fsync on) and a real Kafka broker, driven over HTTP/1.1 keep-alive by this process.
 *
 *   1. serial (one IdP): lookup `GET /Users?filter=userName eq "…"` (miss), then `POST /Users`
 *   2. user creates at concurrency 16: spread over 16 directories, and all on one directory
 *   3. user lookups (hit) at concurrency 16
 *   4. group pushes: POST /Groups + membership PATCHes (add / remove by value filter), serial and at
 *      concurrency 16 on separate groups; then 16 concurrent PATCHers on ONE group, verified afterwards
 *   5. deactivations: PUT /Users/{id} with the full OneLogin body and active "false", serial and c=16
 *
 * Each timed phase has a warm-up; every non-2xx answer (and a 2xx with the wrong result) counts as an
 * error. Afterwards: events in the store vs successful writes, and what reached Kafka. Then, unless
 * --no-profile, a second ingress process is CPU-profiled (V8 sampling profiler through node:inspector,
 * started/stopped by SIGUSR2 around the measured window) while it serves creates at c=16.
 *
 *   npx tsx bench/scim-ingress.bench.ts [seconds-per-phase=10] [--no-profile]
 *
 * Writes bench/results/scim-ingress.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { Pool as UndiciPool, type Dispatcher } from 'undici';
import { guardProcesses, randomFreePort, startInfrastructure, terminate, type Infrastructure } from '@scimbridge/testing';

const root = resolve(__dirname, '..');
const args = process.argv.slice(2);
const SECONDS = Number(args.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 10);
const WARMUP_SECONDS = 2;
const PROFILE = !args.includes('--no-profile');
/** `--creates-only`: phases 1 and 2 (serial lookup/create, creates at c=16) and the profile; figures on stderr, no results file. */
const CREATES_ONLY = args.includes('--creates-only');
const WAITS = args.includes('--waits');
/**
 * `--ab=<dir>`: A/B of two code trees under the same conditions. This checkout (A) and the one in <dir>
 * (B: e.g. `git worktree add <dir> <commit>` with node_modules linked) serve creates at c=16 in turn, in
 * short slices (ABBA order, `seconds` rounds), so the VM's drift — large here, from one minute to the
 * next — hits both alike. Figures on stderr.
 */
const AB_DIR = args.find((a) => a.startsWith('--ab='))?.slice('--ab='.length);
/** BENCH_INGRESS_LOG=<file>: every line the ingress process prints is appended there (with --trace-gc, say). */
const INGRESS_LOG = process.env.BENCH_INGRESS_LOG;
const CONCURRENCY = 16;
const SAME_GROUP_ADDS_PER_WORKER = 60;
const MANAGEMENT_KEY = `bench-management-key-${'k'.repeat(32)}`;
const DIRECTORY_EVENTS_TOPIC = 'scim.directory.events';
const RELAY_DLQ_TOPIC = 'scim-ingress.relay.dlq';
const INGRESS_MAIN = join(root, 'apps/scim-ingress/src/main.ts');

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// ---- traffic shapes (as apps/scim-ingress/src/test/onelogin.int.spec.ts) ------------------------------

/** A user body as OneLogin's admin-editable template produces it, with the habits seen in the wild. */
function oneLoginUser(userName: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemas: [USER_URN, ENTERPRISE_URN],
    userName,
    externalId: `ol-${userName}`,
    name: { givenName: 'Jane', familyName: 'Doe', formatted: '' },
    emails: { value: userName, type: 'work', primary: true },
    active: 'true',
    title: '',
    [ENTERPRISE_URN]: { department: 'Sales', manager: { managerId: '', displayName: '' } },
    customAppField: 'kept beside the resource',
    ...overrides,
  });
}
const groupBody = (displayName: string): string => JSON.stringify({ schemas: [GROUP_URN], displayName });
const addMember = (userId: string): string =>
  JSON.stringify({ schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
const removeMember = (userId: string): string =>
  JSON.stringify({ schemas: [PATCH_URN], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
const lookupPath = (userName: string): string => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

let userSeq = 0;
const nextUserName = (): string => `Jane.Doe.${(userSeq += 1).toString().padStart(6, '0')}@example.com`;
let groupSeq = 0;

// ---- HTTP client: undici Pool, keep-alive, one connection per worker ----------------------------------

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

let ingressPort = 0;

/**
 * One request through undici's pooled client (keep-alive, one connection per concurrent worker): the load
 * generator shares the 2 cores with what it measures, so it should spend as little CPU as it can.
 */
async function send(method: string, path: string, token: string, body?: string): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/scim+json' };
  if (body !== undefined) headers['content-type'] = 'application/scim+json; charset=utf-8';
  const started = performance.now();
  try {
    const res = await client().request({ method: method as Dispatcher.HttpMethod, path, headers, body });
    const text = await res.body.text();
    return { status: res.statusCode, body: text, ms: performance.now() - started };
  } catch (error) {
    return { status: 0, body: String(error), ms: performance.now() - started };
  }
}
let undici: { port: number; pool: UndiciPool } | undefined;
function client(): UndiciPool {
  if (undici?.port !== ingressPort) {
    void undici?.pool.close();
    undici = { port: ingressPort, pool: new UndiciPool(`http://127.0.0.1:${ingressPort}`, { connections: 64, pipelining: 1 }) };
  }
  return undici.pool;
}

async function management<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${ingressPort}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${MANAGEMENT_KEY}`, accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

// ---- directories and the users/groups the run made in them ---------------------------------------------

interface BenchUser {
  readonly id: string;
  readonly userName: string;
}

interface Directory {
  readonly id: string;
  readonly token: string;
  /** Path of the SCIM base URL, e.g. /directory/{id}/scim/v2 */
  readonly base: string;
  readonly users: BenchUser[];
  /** Users not deactivated yet (each is deactivated at most once). */
  readonly active: BenchUser[];
  nextMember: number;
}

async function createDirectory(): Promise<Directory> {
  const org = await management<{ id: string }>('POST', '/organizations', { name: `bench-org-${Math.random().toString(36).slice(2, 8)}` });
  const dir = await management<{ id: string; endpointUrl: string; bearerToken: string }>('POST', `/organizations/${org.id}/directories`, { provider: 'onelogin' });
  return { id: dir.id, token: dir.bearerToken, base: new URL(dir.endpointUrl).pathname, users: [], active: [], nextMember: 0 };
}

/** Successful writes by the event each must have produced (warm-up and verification included). */
const expectedEvents = new Map<string, number>();
const expect1 = (type: string): void => void expectedEvents.set(type, (expectedEvents.get(type) ?? 0) + 1);
const is2xx = (r: Reply): boolean => r.status >= 200 && r.status < 300;

async function createUser(d: Directory, phase: Phase, op = 'create user (POST /Users)'): Promise<Reply> {
  const userName = nextUserName();
  const reply = await send('POST', `${d.base}/Users`, d.token, oneLoginUser(userName));
  const ok = reply.status === 201;
  phase.record(op, reply, ok);
  if (ok) {
    expect1('UserProvisioned');
    const user = { id: (JSON.parse(reply.body) as { id: string }).id, userName };
    d.users.push(user);
    d.active.push(user);
  }
  return reply;
}

async function createGroup(d: Directory, phase: Phase): Promise<string | undefined> {
  const reply = await send('POST', `${d.base}/Groups`, d.token, groupBody(`OneLogin Role ${(groupSeq += 1)}`));
  phase.record('group create (POST /Groups)', reply, reply.status === 201);
  if (reply.status !== 201) return undefined;
  expect1('GroupCreated');
  return (JSON.parse(reply.body) as { id: string }).id;
}

async function patchGroup(d: Directory, groupId: string, phase: Phase, kind: 'add' | 'remove', userId: string): Promise<boolean> {
  const reply = await send('PATCH', `${d.base}/Groups/${groupId}`, d.token, kind === 'add' ? addMember(userId) : removeMember(userId));
  const ok = reply.status === 200 || reply.status === 204;
  phase.record(kind === 'add' ? 'PATCH group: add member' : 'PATCH group: remove member', reply, ok);
  if (ok) expect1('GroupMembershipChanged');
  return ok;
}

// ---- phases, latencies, CPU accounting --------------------------------------------------------------

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface OpStats {
  readonly latencies: number[];
  readonly errors: Map<string, number>;
  errorSample?: string;
}

interface CpuShare {
  ingress: number;
  postgres: number;
  kafka: number;
  bench: number;
  /** write / read system calls of the ingress process per second (sockets: Postgres, HTTP, Kafka). */
  ingressWrites: number;
  ingressReads: number;
  /** Busy CPU of the whole machine (from /proc/stat), and time the hypervisor gave to someone else. */
  machine: number;
  steal: number;
}

class Phase {
  readonly ops = new Map<string, OpStats>();
  measuring = false;
  started = 0;
  ended = 0;
  cpu: CpuShare | undefined;
  /** Autovacuum / autoanalyze runs that finished during the phase (their CPU counts as postgres CPU). */
  autovacuums = 0;
  note = '';

  constructor(
    readonly scenario: string,
    readonly concurrency: number,
  ) {}

  record(op: string, reply: Reply, ok = is2xx(reply)): void {
    if (!this.measuring) {
      if (!ok && !warnedWarmup.has(op)) {
        warnedWarmup.add(op);
        process.stderr.write(`  (warm-up) ${op}: ${reply.status} ${reply.body.slice(0, 200)}\n`);
      }
      return;
    }
    let stats = this.ops.get(op);
    if (!stats) this.ops.set(op, (stats = { latencies: [], errors: new Map() }));
    stats.latencies.push(reply.ms);
    if (!ok) {
      const key = is2xx(reply) ? `${reply.status} wrong result` : reply.status === 0 ? 'network' : String(reply.status);
      stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);
      stats.errorSample ??= `${reply.status} ${reply.body.slice(0, 300)}`;
    }
  }

  get seconds(): number {
    return (this.ended - this.started) / 1000;
  }
}
const warnedWarmup = new Set<string>();

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime (ticks) of every process, with its parent. */
function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime + cutime + cstime: a backend that exits is reaped by the postmaster, whose
      // children's time then carries what the backend used (so pool churn does not lose CPU time).
      table.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function treeTicks(table: Map<number, { ppid: number; ticks: number }>, rootPid: number | undefined): number {
  if (!rootPid) return 0;
  let sum = 0;
  for (const [pid, entry] of table) {
    for (let p = pid, hops = 0; p > 1 && hops < 32; hops += 1) {
      if (p === rootPid) {
        sum += entry.ticks;
        break;
      }
      p = table.get(p)?.ppid ?? 0;
    }
  }
  return sum;
}

interface CpuSnapshot extends CpuShare {
  at: number;
}

let pids: { ingress?: number; postgres?: number; kafka?: number } = {};
let statsPool: Pool | undefined;

/** `--waits`: what the ingress's PostgreSQL backends are doing during each measured phase (diagnostics). */
async function sampleWaits(until: number): Promise<string> {
  const counts = new Map<string, number>();
  let samples = 0;
  while (performance.now() < until) {
    const { rows } = (await statsPool?.query<{ what: string; n: string }>(
      `SELECT coalesce(state, '?') || ':' || coalesce(wait_event_type || '/' || wait_event, 'cpu') AS what, count(*)::text AS n
         FROM pg_stat_activity WHERE application_name = 'scim-ingress' GROUP BY 1`,
    )) ?? { rows: [] };
    samples += 1;
    for (const r of rows) counts.set(r.what, (counts.get(r.what) ?? 0) + Number(r.n));
    await new Promise((r) => setTimeout(r, 20));
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v / samples).toFixed(2)}`).join(', ');
}

async function autovacuumRuns(): Promise<number> {
  const { rows } = (await statsPool?.query<{ n: string }>('SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)::text AS n FROM pg_stat_all_tables')) ?? { rows: [] };
  return Number(rows[0]?.n ?? 0);
}

function syscalls(pid: number | undefined): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/syscr:\s*(\d+)/.exec(io)?.[1] ?? 0), writes: Number(/syscw:\s*(\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

function machineTicks(): { busy: number; steal: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal …: busy = user..softirq but idle and iowait (guest is inside user).
  return { busy: ticks.slice(0, 7).reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0), steal: ticks[7] ?? 0 };
}

function cpuSnapshot(): CpuSnapshot {
  const table = processTable();
  const own = process.cpuUsage();
  const io = syscalls(pids.ingress);
  return {
    ingressWrites: io.writes,
    ingressReads: io.reads,
    machine: machineTicks().busy / CLK_TCK,
    steal: machineTicks().steal / CLK_TCK,
    at: performance.now(),
    ingress: treeTicks(table, pids.ingress) / CLK_TCK,
    postgres: treeTicks(table, pids.postgres) / CLK_TCK,
    kafka: treeTicks(table, pids.kafka) / CLK_TCK,
    bench: (own.user + own.system) / 1e6,
  };
}

function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const wall = (b.at - a.at) / 1000;
  return {
    ingress: (b.ingress - a.ingress) / wall,
    postgres: (b.postgres - a.postgres) / wall,
    kafka: (b.kafka - a.kafka) / wall,
    bench: (b.bench - a.bench) / wall,
    ingressWrites: (b.ingressWrites - a.ingressWrites) / wall,
    ingressReads: (b.ingressReads - a.ingressReads) / wall,
    machine: (b.machine - a.machine) / wall,
    steal: (b.steal - a.steal) / wall,
  };
}

/**
 * Runs `step` from `concurrency` workers: WARMUP_SECONDS unrecorded, then `seconds` recorded. A step
 * returning false stops that worker (e.g. no users left to deactivate).
 */
async function timedPhase(
  scenario: string,
  concurrency: number,
  step: (worker: number, phase: Phase) => Promise<boolean>,
  seconds = SECONDS,
): Promise<Phase> {
  const phase = new Phase(scenario, concurrency);
  const exhausted = new Set<number>();
  const run = (until: number): Promise<void[]> =>
    Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < until && !exhausted.has(worker)) {
          if (!(await step(worker, phase))) exhausted.add(worker);
        }
      }),
    );
  await run(performance.now() + WARMUP_SECONDS * 1000);
  const vacuumsBefore = await autovacuumRuns();
  const before = cpuSnapshot();
  phase.measuring = true;
  phase.started = performance.now();
  const waits = WAITS ? sampleWaits(phase.started + seconds * 1000) : undefined;
  await run(phase.started + seconds * 1000);
  phase.ended = performance.now();
  if (waits) process.stderr.write(`    PostgreSQL backends by state/wait event (sampled every 20 ms): ${await waits}\n`);
  phase.measuring = false;
  phase.cpu = cpuShare(before, cpuSnapshot());
  phase.autovacuums = (await autovacuumRuns()) - vacuumsBefore;
  if (exhausted.size > 0) phase.note = `${exhausted.size} of ${concurrency} workers ran out of work before the end`;
  report(phase);
  return phase;
}

/**
 * `--ab`: the two ingress processes serve creates at c=16 (16 directories, then 1 directory) in turn,
 * 2 s slices after 0.5 s unrecorded each, ABBA order; latencies and ingress CPU summed per variant.
 */
async function abCreates(variants: { name: string; ingress: IngressProcess; dirs: Directory[]; hot: Directory }[]): Promise<void> {
  const cases = [
    { label: '16 directories', directory: (v: (typeof variants)[number], w: number) => v.dirs[w] as Directory },
    { label: '1 directory', directory: (v: (typeof variants)[number]) => v.hot },
  ];
  const results = variants.map((v) => ({ ...v, phases: cases.map((c) => ({ phase: new Phase(`${v.name}, ${c.label}`, CONCURRENCY), ms: 0, cpu: 0, postgres: 0, kafka: 0, machine: 0 })) }));
  for (let round = 0; round < SECONDS; round += 1) {
    const order = round % 2 === 0 ? results : [...results].reverse();
    for (const variant of order) {
      ingressPort = variant.ingress.port;
      pids.ingress = variant.ingress.child.pid;
      for (const [i, c] of cases.entries()) {
        const slot = variant.phases[i] as (typeof variant.phases)[number];
        const drive = (until: number): Promise<void[]> =>
          Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
            while (performance.now() < until) await createUser(c.directory(variant, w), slot.phase);
          }));
        slot.phase.measuring = false;
        await drive(performance.now() + 500);
        const before = cpuSnapshot();
        slot.phase.measuring = true;
        const started = performance.now();
        await drive(started + 2_000);
        slot.phase.measuring = false;
        slot.ms += performance.now() - started;
        const after = cpuSnapshot();
        slot.cpu += after.ingress - before.ingress;
        slot.postgres += after.postgres - before.postgres;
        slot.kafka += after.kafka - before.kafka;
        slot.machine += after.machine - before.machine;
      }
    }
    process.stderr.write(`  round ${round + 1}/${SECONDS} done\n`);
  }
  for (const variant of results) {
    for (const slot of variant.phases) {
      slot.phase.started = 0;
      slot.phase.ended = slot.ms;
      report(slot.phase);
      const creates = slot.phase.ops.get('create user (POST /Users)')?.latencies.length ?? 0;
      const perCreate = (cpu: number): string => (creates > 0 ? ((cpu * 1000) / creates).toFixed(3) : '?');
      process.stderr.write(
        `    CPU ms per create: ingress ${perCreate(slot.cpu)}, postgres ${perCreate(slot.postgres)}, kafka ${perCreate(slot.kafka)}, machine ${perCreate(slot.machine)} (ingress ${(slot.cpu / (slot.ms / 1000)).toFixed(2)} cores)\n`,
      );
    }
  }
}

function report(phase: Phase): void {
  for (const [op, s] of phase.ops) {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    const errors = [...s.errors.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(
      `  ${phase.scenario} | ${op}: ${s.latencies.length} in ${phase.seconds.toFixed(1)} s = ${(s.latencies.length / phase.seconds).toFixed(0)}/s, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, errors ${errors}${s.errorSample ? ` (e.g. ${s.errorSample})` : ''}\n`,
    );
  }
  if (phase.cpu) {
    const c = phase.cpu;
    process.stderr.write(`    CPU (cores): ingress ${c.ingress.toFixed(2)}, postgres ${c.postgres.toFixed(2)}, kafka ${c.kafka.toFixed(2)}, bench ${c.bench.toFixed(2)}, machine ${c.machine.toFixed(2)}, steal ${c.steal.toFixed(2)}, autovacuum/analyze runs ${phase.autovacuums}${phase.note ? ` — ${phase.note}` : ''}\n`);
  }
}

// ---- the ingress process ------------------------------------------------------------------------------

interface IngressProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Started under the sampling-profiler wrapper. */
  readonly profiled: boolean;
  readonly output: string[];
  waitForLine(marker: string, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Profiling wrapper for the second ingress process: the unmodified service, plus SIGUSR2 toggling V8's
 * sampling profiler (node:inspector in-process). `--cpu-prof` cannot be used: it writes only on a normal
 * exit, and Nest's shutdown hook re-raises SIGTERM; it would also include start-up and warm-up.
 */
const PROFILER_WRAPPER = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
const post = (method, params) => new Promise((ok, fail) => session.post(method, params || {}, (e, r) => (e ? fail(e) : ok(r))));
let running = false;
process.on('SIGUSR2', async () => {
  try {
    if (!running) {
      running = true;
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
      process.stdout.write('BENCH_PROFILE_STARTED\\n');
    } else {
      running = false;
      const { profile } = await post('Profiler.stop');
      // Lines of our TypeScript, not of swc's output (the process runs with --enable-source-maps).
      const { findSourceMap } = require('node:module');
      const { fileURLToPath } = require('node:url');
      for (const node of profile.nodes) {
        const f = node.callFrame;
        if (!(f.url.includes('/apps/') || f.url.includes('/libs/')) || f.url.includes('node_modules')) continue;
        let map;
        try { map = findSourceMap(f.url.startsWith('file:') ? fileURLToPath(f.url) : f.url) || findSourceMap(f.url); } catch {}
        const entry = map && map.findEntry(f.lineNumber, f.columnNumber);
        if (entry && typeof entry.originalLine === 'number') f.lineNumber = entry.originalLine;
      }
      writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(profile));
      process.stdout.write('BENCH_PROFILE_WRITTEN\\n');
    }
  } catch (error) {
    process.stdout.write('BENCH_PROFILE_FAILED ' + String(error) + '\\n');
  }
});
require(process.env.BENCH_INGRESS_MAIN);
`;

async function startIngressProcess(infra: Infrastructure, profileFile?: string, cwd = root, env: Record<string, string> = {}): Promise<IngressProcess> {
  ingressPort = await randomFreePort();
  const port = ingressPort;
  // BENCH_INGRESS_NODE_ARGS: extra V8/node flags for the ingress only (e.g. `--trace-gc`), for A/B runs.
  const extra = (process.env.BENCH_INGRESS_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const nodeArgs = profileFile
    ? [...extra, '--enable-source-maps', '-r', '@swc-node/register', '-e', PROFILER_WRAPPER]
    : [...extra, '-r', '@swc-node/register', 'apps/scim-ingress/src/main.ts'];
  const child = spawn(process.execPath, nodeArgs, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...infra.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(ingressPort),
      PUBLIC_URL: `http://127.0.0.1:${ingressPort}`,
      MANAGEMENT_API_KEY: MANAGEMENT_KEY,
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '20',
      SCIM_RATE_LIMIT_PER_SECOND: '1000000',
      SCIM_RATE_LIMIT_BURST: '1000000',
      SCIM_AUTH_FAILURES_PER_MINUTE: '1000000',
      ...(profileFile ? { BENCH_PROFILE_FILE: profileFile, BENCH_INGRESS_MAIN: INGRESS_MAIN } : {}),
      ...env,
    },
  });
  if (!child.pid) throw new Error('the ingress process did not start');
  guardProcesses([{ pid: child.pid, signal: 'SIGTERM' }]);
  const output: string[] = [];
  const waiters: { marker: string; done: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line);
      if (INGRESS_LOG) appendFileSync(INGRESS_LOG, `${line}\n`);
      if (output.length > 2000) output.shift();
      for (const w of waiters.filter((x) => line.includes(x.marker))) w.done();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  child.on('exit', () => (exited = true));

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`the ingress exited during start-up:\n${output.slice(-30).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`the ingress was not ready after 120 s:\n${output.slice(-30).join('\n')}`);
    const ready = await fetch(`http://127.0.0.1:${ingressPort}/health/ready`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    port,
    profiled: profileFile !== undefined,
    output,
    waitForLine: (marker, timeoutMs) =>
      new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no "${marker}" from the ingress within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ marker, done: () => (clearTimeout(timer), ok()) });
      }),
    stop: async () => {
      if (!exited && child.pid) await terminate(child.pid, 'SIGTERM', 15_000);
    },
  };
}

// ---- CPU profile summary -------------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function summariseProfile(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const shortUrl = (url: string): string =>
    url.replace(/^file:\/\//, '').replace(`${root}/`, '').replace(/^.*node_modules\//, 'node_modules/');
  const keyOf = (n: ProfileNode): string => {
    const f = n.callFrame;
    if (!f.url) return f.functionName || '(anonymous)';
    return `${f.functionName || '(anonymous)'} — ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  };
  const categoryOf = (n: ProfileNode): string => {
    const f = n.callFrame;
    if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(V8 builtins / native)';
    const url = shortUrl(f.url);
    const pkg = /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1] as string;
    if (url.startsWith('node:')) return 'node core (http, net, streams, …)';
    const local = /^(apps|libs)\/([^/]+)/.exec(url);
    if (local) return `${local[1]}/${local[2]}`;
    return url;
  };
  const self = new Map<string, number>();
  const categories = new Map<string, number>();
  const charged = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000; // µs → ms
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + dt);
    categories.set(categoryOf(node), (categories.get(categoryOf(node)) ?? 0) + dt);
    // Native frames (syscalls, builtins) and node core charged to the nearest caller outside node core
    // (e.g. a socket writev to the pg client or to express's response), so the split says who caused it.
    let payer: ProfileNode | undefined = node;
    const inCore = (n: ProfileNode): boolean => (!n.callFrame.url && !n.callFrame.functionName.startsWith('(')) || n.callFrame.url.startsWith('node:');
    while (payer && inCore(payer)) payer = byId.get(parent.get(payer.id) ?? -1);
    const payerCategory = payer && payer.callFrame.functionName !== '(root)' ? categoryOf(payer) : 'node core / native, no package on the stack';
    charged.set(payerCategory, (charged.get(payerCategory) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || !/^(apps|libs)\//.test(shortUrl(n.callFrame.url))) continue;
      const k = keyOf(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const pct = (ms: number): string => `${((ms / total) * 100).toFixed(1)}%`;
  const top = (m: Map<string, number>, n: number): [string, number][] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `Sampled ${(total / 1000).toFixed(1)} s of the ingress process (500 µs interval); apps/ and libs/ line numbers are TypeScript source lines (mapped through swc's inline source maps).`,
    '',
    '| self time by package / area | share | native and node-core frames charged to the calling package |',
    '|---|---:|---:|',
    ...top(charged, 18).map(([k, v]) => `| ${k} | ${pct(categories.get(k) ?? 0)} | ${pct(v)} |`),
    ...top(categories, 18).filter(([k]) => !charged.has(k)).map(([k, v]) => `| ${k} | ${pct(v)} | — |`),
    '',
    '| top functions by self time | share |',
    '|---|---:|',
    ...top(self, 25).map(([k, v]) => `| \`${k.replace(/\|/g, '\\|')}\` | ${pct(v)} |`),
    '',
    '| apps/ and libs/ functions by inclusive time (synchronous part: work after an `await` is charged to its continuation) | share |',
    '|---|---:|',
    ...top(inclusive, 20).map(([k, v]) => `| \`${k.replace(/\|/g, '\\|')}\` | ${pct(v)} |`),
    '',
  ].join('\n');
}

// ---- the run -------------------------------------------------------------------------------------------

const fmtMs = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

/** Which code was measured: the commit, and service files that differ from it (read-only git). */
function codeState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { cwd: root })
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '' && !/\.(spec|test-support)\.ts$/.test(l) && !l.includes('/test/'))
      .map((l) => l.slice(3));
    return dirty.length === 0 ? `commit ${head}` : `commit ${head} + uncommitted changes in ${dirty.join(', ')}`;
  } catch {
    return 'unknown (no git)';
  }
}

async function main(): Promise<void> {
  delete process.env['DATABASE_URL'];
  delete process.env['KAFKA_BROKERS'];
  const runStarted = performance.now();
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const dataRoot = mkdtempSync(join(root, 'tmp', 'bench-scim-'));
  process.stderr.write('starting PostgreSQL (durable) and Kafka…\n');
  const infra = await startInfrastructure({ workspaceRoot: root, dataRoot, mode: 'dev' });
  pids = { postgres: infra.postgres.pid, kafka: infra.kafka.pid };
  const pool = new Pool({ connectionString: infra.env.DATABASE_URL, max: 2 });
  statsPool = pool;
  let ingress: IngressProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await ingress?.stop().catch(() => undefined);
    await undici?.pool.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await infra.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stopAll().finally(() => process.exit(130));
    });
  }

  try {
    const settings = Object.fromEntries(
      (
        await pool.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'server_version', 'shared_buffers', 'max_connections')`,
        )
      ).rows.map((r) => [r.name, r.setting]),
    );
    process.stderr.write(`PostgreSQL ${settings['server_version']} (${infra.postgres.source}): fsync=${settings['fsync']}, synchronous_commit=${settings['synchronous_commit']}, wal_sync_method=${settings['wal_sync_method']}\n`);
    // Baseline: what one durable commit round trip costs on this machine (single-row INSERT, serial).
    await pool.query('CREATE TABLE bench_commit_probe (id bigint GENERATED ALWAYS AS IDENTITY, data jsonb)');
    const commitTimes: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const t = performance.now();
      await pool.query('INSERT INTO bench_commit_probe (data) VALUES ($1)', [{ i }]);
      commitTimes.push(performance.now() - t);
    }
    await pool.query('DROP TABLE bench_commit_probe');
    commitTimes.sort((a, b) => a - b);
    const commitLine = `one durable commit round trip (single-row INSERT, serial, from this process): p50 ${fmtMs(percentile(commitTimes, 50))} ms, p99 ${fmtMs(percentile(commitTimes, 99))} ms`;
    process.stderr.write(`baseline: ${commitLine}\n`);

    process.stderr.write('starting the ingress process…\n');
    const ingressStarted = performance.now();
    const measuredCode = codeState();
    const profileFile = join(dataRoot, 'scim-ingress.cpuprofile');
    // Quick runs profile the same process (the wrapper is idle until signalled); full runs profile a fresh one.
    ingress = await startIngressProcess(infra, CREATES_ONLY && PROFILE ? profileFile : undefined);
    pids.ingress = ingress.child.pid;
    const startupMs = performance.now() - ingressStarted;
    process.stderr.write(`ingress ready in ${(startupMs / 1000).toFixed(1)} s on port ${ingressPort}\n`);

    const dirs = await Promise.all(Array.from({ length: CONCURRENCY }, () => createDirectory()));
    const hot = await createDirectory();
    const phases: Phase[] = [];
    if (AB_DIR) {
      // B gets a database of its own on the same server: with one shared outbox, the relay of whichever
      // process leads would carry the other's events too, and an A/A run came out 15% apart.
      await pool.query('CREATE DATABASE bench_ab_b');
      const url = new URL(infra.env.DATABASE_URL as string);
      url.pathname = '/bench_ab_b';
      const a = { name: 'A (this checkout)', ingress, dirs, hot };
      const bIngress = await startIngressProcess(infra, undefined, resolve(AB_DIR), { DATABASE_URL: url.toString() });
      try {
        const bDirs = await Promise.all(Array.from({ length: CONCURRENCY }, () => createDirectory()));
        const b = { name: `B (${AB_DIR})`, ingress: bIngress, dirs: bDirs, hot: await createDirectory() };
        await abCreates([a, b]);
      } finally {
        await bIngress.stop();
      }
      return;
    }

    // 1. One IdP, serial: OneLogin looks the user up, then creates it.
    process.stderr.write('1. serial lookup → create\n');
    phases.push(
      await timedPhase('1. serial, 1 directory', 1, async (_w, phase) => {
        const d = dirs[0] as Directory;
        const userName = `Jane.Doe.${(userSeq + 1).toString().padStart(6, '0')}@example.com`;
        const lookup = await send('GET', `${d.base}${lookupPath(userName)}`, d.token);
        phase.record('lookup, miss (GET /Users?filter=userName eq)', lookup, lookup.status === 200 && lookup.body.includes('"totalResults":0'));
        await createUser(d, phase);
        return true;
      }),
    );

    // 2. Many IdPs at once, then one busy directory.
    process.stderr.write('2. creates at concurrency 16\n');
    phases.push(await timedPhase('2a. 16 directories', CONCURRENCY, async (w, phase) => {
      await createUser(dirs[w] as Directory, phase);
      return true;
    }));
    phases.push(await timedPhase('2b. 1 directory', CONCURRENCY, async (_w, phase) => {
      await createUser(hot, phase);
      return true;
    }));
    // CPU profile of a second ingress process while it serves creates at c=16.
    const profileCreates = async (): Promise<string[]> => {
      const lines: string[] = [];
      if (!ingress?.profiled) {
        process.stderr.write('profiling: restarting the ingress with the sampling profiler wrapper…\n');
        await ingress?.stop();
        ingress = await startIngressProcess(infra, profileFile);
        pids.ingress = ingress.child.pid;
      }
      const profiled = await timedPhase(
        'profile run: 16 directories',
        CONCURRENCY,
        async (w, phase) => {
          if (phase.measuring && !profilerOn) {
            profilerOn = true;
            process.kill(ingress?.child.pid as number, 'SIGUSR2');
          }
          await createUser(dirs[w] as Directory, phase);
          return true;
        },
        6,
      );
      const profiling = ingress;
      const written = profiling.waitForLine('BENCH_PROFILE_WRITTEN', 30_000);
      process.kill(profiling.child.pid as number, 'SIGUSR2');
      await written;
      const stats = profiled.ops.get('create user (POST /Users)');
      if (stats && stats.errors.size > 0) process.stderr.write(`ingress output (last 15 lines):\n${profiling.output.slice(-15).join('\n')}\n`);
      const profiledCode = codeState();
      const summary = summariseProfile(profileFile);
      // `--keep-profile`: the raw profile survives the run (tmp/scim-ingress.cpuprofile) for a closer look.
      if (args.includes('--keep-profile')) copyFileSync(profileFile, join(root, 'tmp', 'scim-ingress.cpuprofile'));
      lines.push(
        '',
        '## CPU profile of the ingress: user creates, concurrency 16, 16 directories',
        '',
        `V8 sampling profiler in the ingress process (started after ${WARMUP_SECONDS} s warm-up, ${profiled.seconds.toFixed(1)} s window; ${stats ? `${(stats.latencies.length / profiled.seconds).toFixed(0)} creates/s under the profiler` : ''}, ingress CPU ${profiled.cpu?.ingress.toFixed(2)} cores${profiledCode === measuredCode ? '' : `; code at profiling time: ${profiledCode}`}).`,
        '',
        summary,
      );
      return lines;
    };
    if (CREATES_ONLY) {
      if (PROFILE) process.stderr.write(`${(await profileCreates()).join('\n')}\n`);
      return;
    }

    // 3. Lookups that find the user (OneLogin's check before an update).
    process.stderr.write('3. lookups (hit) at concurrency 16\n');
    phases.push(
      await timedPhase('3. 16 directories', CONCURRENCY, async (w, phase) => {
        const d = dirs[w] as Directory;
        const user = d.users[Math.floor(Math.random() * d.users.length)];
        if (!user) return false;
        const reply = await send('GET', `${d.base}${lookupPath(user.userName)}`, d.token);
        phase.record('lookup, hit (GET /Users?filter=userName eq)', reply, reply.status === 200 && reply.body.includes(`"id":"${user.id}"`));
        return true;
      }),
    );

    // 4. Roles pushed as groups: create, add four members one PATCH each, remove two by value filter.
    process.stderr.write('4. group pushes\n');
    const groupCycle = async (d: Directory, phase: Phase): Promise<boolean> => {
      const groupId = await createGroup(d, phase);
      if (!groupId || d.users.length < 4) return groupId !== undefined;
      const members: string[] = [];
      for (let k = 0; k < 4; k += 1) {
        const user = d.users[d.nextMember % d.users.length] as BenchUser;
        d.nextMember += 1;
        if (await patchGroup(d, groupId, phase, 'add', user.id)) members.push(user.id);
      }
      for (const userId of members.slice(0, 2)) await patchGroup(d, groupId, phase, 'remove', userId);
      return true;
    };
    phases.push(await timedPhase('4a. serial, 1 directory', 1, (_w, phase) => groupCycle(dirs[0] as Directory, phase)));
    phases.push(await timedPhase('4b. 16 directories, own groups', CONCURRENCY, (w, phase) => groupCycle(dirs[w] as Directory, phase)));

    // 4c. Sixteen concurrent PATCHers on ONE group: every change must apply.
    const sameGroup = new Phase('4c. 16 writers, ONE group', CONCURRENCY);
    const setup = new Phase('setup', 1);
    const sharedGroupId = await createGroup(hot, setup);
    if (!sharedGroupId) throw new Error('could not create the shared group');
    const expectedMembers = new Set<string>();
    const vacuumsBeforeSame = await autovacuumRuns();
    const beforeSame = cpuSnapshot();
    sameGroup.measuring = true;
    sameGroup.started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        const mine = hot.users.slice(w * SAME_GROUP_ADDS_PER_WORKER, (w + 1) * SAME_GROUP_ADDS_PER_WORKER);
        for (const [j, user] of mine.entries()) {
          if (await patchGroup(hot, sharedGroupId, sameGroup, 'add', user.id)) expectedMembers.add(user.id);
          if (j % 3 === 2) {
            const victim = mine[j - 1] as BenchUser;
            if (await patchGroup(hot, sharedGroupId, sameGroup, 'remove', victim.id)) expectedMembers.delete(victim.id);
          }
        }
      }),
    );
    sameGroup.ended = performance.now();
    sameGroup.measuring = false;
    sameGroup.cpu = cpuShare(beforeSame, cpuSnapshot());
    sameGroup.autovacuums = (await autovacuumRuns()) - vacuumsBeforeSame;
    const groupRead = await send('GET', `${hot.base}/Groups/${sharedGroupId}`, hot.token);
    const viaScim = new Set(((JSON.parse(groupRead.body) as { members?: { value: string }[] }).members ?? []).map((m) => m.value));
    const viaTable = new Set(
      (await pool.query<{ user_id: string }>('SELECT user_id FROM scim_ingress.group_members WHERE directory_id = $1 AND group_id = $2', [hot.id, sharedGroupId])).rows.map((r) => r.user_id),
    );
    const viaEvents = new Set<string>();
    for (const { data } of (
      await pool.query<{ data: { added: string[]; removed: string[] } }>(
        `SELECT data FROM scim_ingress.events WHERE type = 'GroupMembershipChanged' AND data->>'groupId' = $1 ORDER BY global_position`,
        [sharedGroupId],
      )
    ).rows) {
      for (const id of data.added) viaEvents.add(id);
      for (const id of data.removed) viaEvents.delete(id);
    }
    const sameSet = (s: Set<string>): boolean => s.size === expectedMembers.size && [...s].every((id) => expectedMembers.has(id));
    const attemptedAdds = CONCURRENCY * SAME_GROUP_ADDS_PER_WORKER;
    const attemptedRemoves = CONCURRENCY * Math.floor(SAME_GROUP_ADDS_PER_WORKER / 3);
    const groupCheck = `${attemptedAdds} adds + ${attemptedRemoves} removes from 16 concurrent writers → expected ${expectedMembers.size} members; GET /Groups/{id}: ${viaScim.size} (${sameSet(viaScim) ? 'equal' : 'DIFFERENT'}), group_members table: ${viaTable.size} (${sameSet(viaTable) ? 'equal' : 'DIFFERENT'}), replay of GroupMembershipChanged events: ${viaEvents.size} (${sameSet(viaEvents) ? 'equal' : 'DIFFERENT'})`;
    sameGroup.note = groupCheck;
    report(sameGroup);
    phases.push(sameGroup);

    // 5. Suspensions: OneLogin PUTs the whole user with active "false".
    process.stderr.write('5. deactivations\n');
    const deactivate = async (pick: () => BenchUser | undefined, d: () => Directory, phase: Phase): Promise<boolean> => {
      const dir = d();
      const user = pick();
      if (!user) return false;
      const reply = await send('PUT', `${dir.base}/Users/${user.id}`, dir.token, oneLoginUser(user.userName, { active: 'false' }));
      const ok = reply.status === 200 && reply.body.includes('"active":false');
      phase.record('deactivate (PUT /Users/{id}, active "false")', reply, ok);
      if (ok) expect1('UserDeactivated');
      return true;
    };
    phases.push(await timedPhase('5a. serial, 1 directory', 1, (_w, phase) => deactivate(() => hot.active.pop(), () => hot, phase)));
    phases.push(
      await timedPhase('5b. 16 directories', CONCURRENCY, (w, phase) => {
        const own = dirs[w] as Directory;
        const d = own.active.length > 0 ? own : hot;
        return deactivate(() => d.active.pop(), () => d, phase);
      }),
    );

    // Events: every successful write appended its event; the relay got them all to Kafka.
    const loadEnded = performance.now();
    const eventRows = (await pool.query<{ type: string; n: string }>('SELECT type, count(*)::text AS n FROM scim_ingress.events GROUP BY type ORDER BY type')).rows;
    const stored = new Map(eventRows.map((r) => [r.type, Number(r.n)]));
    const eventLines = [...new Set([...expectedEvents.keys(), ...stored.keys()])].sort().map((type) => {
      const want = expectedEvents.get(type);
      const got = stored.get(type) ?? 0;
      return `| ${type} | ${want ?? '(setup)'} | ${got} | ${want === undefined ? '' : want === got ? 'equal' : 'DIFFERENT'} |`;
    });
    const totalStored = [...stored.values()].reduce((a, b) => a + b, 0);
    const publicEvents = totalStored - (stored.get('OrganizationCreated') ?? 0);
    const kafka = new Kafka({ clientId: 'bench-scim', brokers: [infra.kafka.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topicCount = async (topic: string): Promise<number> =>
      (await admin.fetchTopicOffsets(topic).catch(() => [] as { offset: string }[])).reduce((sum, p) => sum + Number(p.offset), 0);
    let onKafka = await topicCount(DIRECTORY_EVENTS_TOPIC);
    while (onKafka < publicEvents && performance.now() - loadEnded < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
      onKafka = await topicCount(DIRECTORY_EVENTS_TOPIC);
    }
    const drainMs = performance.now() - loadEnded;
    const dlq = await topicCount(RELAY_DLQ_TOPIC);
    await admin.disconnect();
    const kafkaLine = `${onKafka} of ${publicEvents} public events on \`${DIRECTORY_EVENTS_TOPIC}\` ${onKafka >= publicEvents ? `${(drainMs / 1000).toFixed(1)} s after the last request` : 'after 60 s (relay did NOT catch up)'}; dead-letter topic: ${dlq}.`;
    process.stderr.write(`events stored: ${totalStored}; ${kafkaLine}\n`);
    const logProblems = ingress.output.filter((l) => /"level":(40|50|60)/.test(l));

    // The results table.
    const rows: string[] = [];
    const verdictInputs = new Map<string, { rps: number; p50: number; p99: number; errors: number }>();
    for (const phase of phases) {
      for (const [op, s] of phase.ops) {
        const sorted = [...s.latencies].sort((a, b) => a - b);
        const errors = [...s.errors.values()].reduce((a, b) => a + b, 0);
        const detail = errors === 0 ? '0' : `${errors} (${[...s.errors].map(([k, v]) => `${k}×${v}`).join(', ')})`;
        const rps = s.latencies.length / phase.seconds;
        const p50 = percentile(sorted, 50);
        const p99 = percentile(sorted, 99);
        verdictInputs.set(`${phase.scenario}|${op}`, { rps, p50, p99, errors });
        rows.push(`| ${phase.scenario}: ${op} | ${phase.concurrency} | ${s.latencies.length} | ${rps.toFixed(0)} | ${fmtMs(p50)} | ${fmtMs(p99)} | ${detail} |`);
      }
    }
    const cpuRows = phases.map((p) => {
      const c = p.cpu as CpuShare;
      const perSecond = [...p.ops.values()].reduce((n, s) => n + s.latencies.length, 0) / p.seconds;
      const perRequest = (x: number, scale: number, digits: number): string => (perSecond > 0 ? ((x / perSecond) * scale).toFixed(digits) : '');
      const other = Math.max(0, c.machine - c.ingress - c.postgres - c.kafka - c.bench);
      return `| ${p.scenario} | ${p.seconds.toFixed(1)} s | ${c.ingress.toFixed(2)} | ${c.postgres.toFixed(2)} | ${c.kafka.toFixed(2)} | ${c.bench.toFixed(2)} | ${other.toFixed(2)} | ${c.machine.toFixed(2)} | ${c.steal.toFixed(2)} | ${p.autovacuums} | ${perRequest(c.ingress, 1000, 2)} | ${perRequest(c.postgres, 1000, 2)} | ${perRequest(c.ingressWrites, 1, 1)} |`;
    });

    const createSpread = verdictInputs.get('2a. 16 directories|create user (POST /Users)');
    const createHot = verdictInputs.get('2b. 1 directory|create user (POST /Users)');
    const serialLookup = verdictInputs.get('1. serial, 1 directory|lookup, miss (GET /Users?filter=userName eq)');
    const serialCreate = verdictInputs.get('1. serial, 1 directory|create user (POST /Users)');
    const verdict = (ok: boolean): string => (ok ? '**met**' : '**missed**');
    const createVerdict = (name: string, m: typeof createSpread): string =>
      m
        ? `- ${name}: ${m.rps.toFixed(0)} creates/s = ${((m.rps / 1500) * 100).toFixed(0)}% of 1,500 → ${verdict(m.rps >= 1500)}; p99 ${fmtMs(m.p99)} ms vs < 25 ms → ${verdict(m.p99 < 25)}.`
        : `- ${name}: no data`;
    const serialVerdict = (name: string, m: typeof serialLookup): string =>
      m ? `- ${name}: p50 ${fmtMs(m.p50)} ms vs < 4 ms → ${verdict(m.p50 < 4)}.` : `- ${name}: no data`;

    const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
    const lines = [
      `SCIM ingress benchmark — ${new Date().toISOString().slice(0, 10)}, \`npx tsx bench/scim-ingress.bench.ts ${SECONDS}\`, ${cpu} (${cpus().length} cores), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average before the run ${loadBefore}.`,
      `PostgreSQL ${settings['server_version']} (${infra.postgres.source}, fsync=${settings['fsync']}, synchronous_commit=${settings['synchronous_commit']}, wal_sync_method=${settings['wal_sync_method']}, full_page_writes=${settings['full_page_writes']}) and Kafka (${infra.kafka.source}) on this machine.`,
      `Code measured: ${measuredCode}.`,
      `Baseline on the same server: ${commitLine}.`,
      `The ingress runs as its own process (\`node -r @swc-node/register apps/scim-ingress/src/main.ts\`, NODE_ENV=production, LOG_LEVEL=warn, DATABASE_POOL_SIZE=20, rate limits raised), ready ${(startupMs / 1000).toFixed(1)} s after spawn; the load generator (undici Pool, keep-alive, one connection per worker) shares the same 2 cores.`,
      `Each phase: ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s measured (4c: fixed counts). Latency = request sent → response body received, as the client sees it. Errors = non-2xx answers (and 2xx with the wrong result).`,
      '',
      '| operation | concurrency | requests | req/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      'CPU used per phase, in cores (2.00 = both cores busy), and per request; write syscalls = the ingress process\'s write()/writev() calls (sockets to Postgres, HTTP clients, Kafka) per request:',
      '',
      '| phase | measured | ingress | postgres | kafka | bench (load generator) | rest (kernel softirq, other processes) | machine busy | steal (hypervisor) | autovacuum/analyze runs | ingress CPU ms/req | postgres CPU ms/req | ingress write syscalls/req |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...cpuRows,
      '',
      'Targets:',
      '',
      createVerdict('User creates, concurrency 16, 16 directories', createSpread),
      createVerdict('User creates, concurrency 16, 1 directory', createHot),
      serialVerdict('Serial lookup (miss)', serialLookup),
      serialVerdict('Serial create', serialCreate),
      '',
      `Same-group PATCHes (4c): ${groupCheck}.`,
      '',
      `Events: ${totalStored} rows in \`scim_ingress.events\`. Each successful write must have appended exactly one event of its type:`,
      '',
      '| event type | successful writes that must have produced it | rows in scim_ingress.events | |',
      '|---|---:|---:|---|',
      ...eventLines,
      '',
      `Kafka: ${kafkaLine}`,
      `Ingress warn/error log lines during the run: ${logProblems.length}${logProblems.length > 0 ? ` (first: ${logProblems[0]?.slice(0, 300)})` : ''}.`,
      ...phases.filter((p) => p.note && p !== sameGroup).map((p) => `Note, ${p.scenario}: ${p.note}.`),
      '',
    ];
    for (const phase of phases) {
      for (const [op, s] of phase.ops) if (s.errorSample) lines.push(`First error, ${phase.scenario} ${op}: \`${s.errorSample.replace(/`/g, "'")}\``);
    }

    if (PROFILE) lines.push(...(await profileCreates()));

    const text = lines.join('\n');
    process.stdout.write(`\n${text}\n`);
    writeFileSync(join(root, 'bench', 'results', 'scim-ingress.md'), text);
    process.stderr.write(`whole run: ${((performance.now() - runStarted) / 1000).toFixed(0)} s (before clean-up); load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    if (!stopping) {
      stopping = true;
      await stopAll();
    }
  }
  process.stderr.write(`whole run including clean-up: ${((performance.now() - runStarted) / 1000).toFixed(0)} s\n`);
}
let profilerOn = false;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
