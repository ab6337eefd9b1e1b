import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { guardProcesses, terminate } from './infra/process-guard';
import { randomFreePort } from './infra/ports';
import { TEST_MANAGEMENT_KEY } from './scim-traffic';
import { waitUntilReady } from './service-app';

const workspaceRoot = resolve(__dirname, '../../..');

export interface ServiceProcess {
  readonly name: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Its process id (for CPU accounting in benchmarks). */
  readonly pid: number | undefined;
  /** What the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM and wait for it to exit (a clean shutdown: it drains what it holds). */
  stop(): Promise<void>;
}

/**
 * Starts another app as its own process, exactly as `npm start` does (`apps/<name>/src/main.ts`), on the
 * run's PostgreSQL and Kafka: how one app's tests drive another (apps never import apps). Resolves when
 * its /health/ready answers 200.
 */
export async function startServiceProcess(
  name: string,
  env: Record<string, string> = {},
  options: { port?: number; readyTimeoutMs?: number; /** Node flags before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */ nodeArgs?: readonly string[] } = {},
): Promise<ServiceProcess> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`not an app name: ${JSON.stringify(name)}`);
  const port = options.port ?? (await randomFreePort());
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', '@swc-node/register', `apps/${name}/src/main.ts`], {
    cwd: workspaceRoot,
    env: {
      ...process.env,
      LOG_LEVEL: process.env['SCIMBRIDGE_TEST_LOG_LEVEL'] ?? 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid) guardProcesses([{ pid: child.pid, signal: 'SIGTERM' }]);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited && child.pid) await terminate(child.pid, 'SIGTERM', 20_000);
    await exit;
  };
  try {
    await Promise.race([
      waitUntilReady(url, options.readyTimeoutMs ?? 60_000),
      exit.then(() => {
        throw new Error(`${name} exited before it was ready:\n${output}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error instanceof Error && !error.message.includes(output.slice(-200)) ? new Error(`${error.message}\n--- ${name} output ---\n${output}`) : error;
  }
  return { name, url, port, pid: child.pid, output: () => output, stop };
}

/**
 * The SCIM ingress as its own process for another app's tests: the test management key, PUBLIC_URL where
 * it really listens (endpoint URLs and Location headers work), 3 partitions, and rate limits far above
 * what tests send (the limit has its own test).
 */
export async function startIngressProcess(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await randomFreePort();
  return startServiceProcess(
    'scim-ingress',
    {
      MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      KAFKA_TOPIC_PARTITIONS: '3',
      SCIM_RATE_LIMIT_PER_SECOND: '100000',
      SCIM_RATE_LIMIT_BURST: '100000',
      // A deletion's grace (for in-flight SCIM requests) need not be seconds in a test.
      DIRECTORY_DELETION_GRACE_MS: '300',
      ...env,
    },
    { port },
  );
}
