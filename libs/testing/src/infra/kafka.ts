import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { dockerAvailable } from './docker';
import type { InfraSource } from './postgres';
import { choosePort, randomFreePort, waitFor } from './ports';
import { commandLineOf, terminate } from './process-guard';

export interface KafkaHandle {
  readonly source: InfraSource;
  /** Comma-separated bootstrap servers, as KAFKA_BROKERS expects. */
  readonly brokers: string;
  readonly port: number;
  readonly displacedFrom?: number;
  readonly pid?: number;
  stop(): Promise<void>;
}

export interface KafkaOptions {
  readonly dataDir: string;
  readonly preferredPort?: number;
  readonly workspaceRoot: string;
  readonly onLog?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

/**
 * A real Kafka broker: KAFKA_BROKERS when set, else testcontainers when a Docker engine answers, else a
 * single-node KRaft broker from Apache Kafka's jars (deploy/local/kafka/kafka-local.sh).
 */
export async function startKafka(options: KafkaOptions): Promise<KafkaHandle> {
  const external = process.env['KAFKA_BROKERS'];
  if (external) {
    const port = Number(external.split(',')[0]?.split(':')[1] ?? 9092);
    return { source: 'external', brokers: external, port, stop: async () => undefined };
  }
  if (await dockerAvailable()) return startContainer();
  return startLocalKafka(options);
}

async function startContainer(): Promise<KafkaHandle> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer('confluentinc/cp-kafka:8.0.0').withKraft().start();
  const port = container.getMappedPort(9093);
  return {
    source: 'testcontainers',
    brokers: `${container.getHost()}:${port}`,
    port,
    stop: async () => {
      await container.stop();
    },
  };
}

export function kafkaScript(workspaceRoot: string): string {
  return resolve(workspaceRoot, 'deploy/local/kafka/kafka-local.sh');
}

/** Copies the broker jars into the cache if they are not there yet (Maven, once per machine). */
export function fetchKafkaJars(workspaceRoot: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [kafkaScript(workspaceRoot), 'fetch'], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`fetching the Kafka jars failed (exit ${code})`)),
    );
  });
}

/** Always a local broker from the jars, whatever KAFKA_BROKERS says (tests that stop and restart Kafka). */
export async function startLocalKafka(options: KafkaOptions): Promise<KafkaHandle> {
  await mkdir(options.dataDir, { recursive: true });
  await stopStaleBroker(options.dataDir);
  await fetchKafkaJars(options.workspaceRoot);

  const { port, displacedFrom } = await choosePort(options.preferredPort);
  const controllerPort = await storedControllerPort(options.dataDir);
  const log = options.onLog ?? (() => undefined);

  const child: ChildProcess = spawn(
    'bash',
    [kafkaScript(options.workspaceRoot), 'run', options.dataDir, String(port), String(controllerPort), String(process.pid)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let exited: string | undefined;
  let recent: string[] = [];
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      log(line);
      recent = [...recent.slice(-30), line];
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  child.on('exit', (code, signal) => {
    exited = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
  });

  const brokers = `127.0.0.1:${port}`;
  try {
    await waitFor(
      `Kafka on ${brokers}`,
      async () => {
        if (exited) throw new Error(`broker process ended (${exited}):\n${recent.join('\n')}`);
        await probeBroker(brokers);
      },
      { timeoutMs: options.startTimeoutMs ?? 120_000, intervalMs: 300 },
    );
  } catch (error) {
    if (child.pid && !exited) await terminate(child.pid, 'SIGTERM');
    throw error;
  }

  return {
    source: 'local',
    brokers,
    port,
    displacedFrom,
    pid: child.pid,
    stop: async () => {
      if (child.pid && !exited) await terminate(child.pid, 'SIGTERM', 30_000);
    },
  };
}

/** One metadata round trip through the admin API: the broker accepts client requests. */
async function probeBroker(brokers: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'scimbridge-harness-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

async function storedControllerPort(dataDir: string): Promise<number> {
  const file = join(dataDir, 'controller.port');
  if (existsSync(file)) return Number((await readFile(file, 'utf8')).trim());
  return randomFreePort();
}

async function stopStaleBroker(dataDir: string): Promise<void> {
  const file = join(dataDir, 'broker.pid');
  if (!existsSync(file)) return;
  const pid = Number((await readFile(file, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await commandLineOf(pid);
  if (cmdline.includes('kafka.Kafka') && cmdline.includes(dataDir)) await terminate(pid, 'SIGTERM', 30_000);
}
