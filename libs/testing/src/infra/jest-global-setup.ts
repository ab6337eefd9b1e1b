import { mkdir, mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startInfrastructure, type Infrastructure } from './infrastructure';

const KEY = '__scimbridgeInfrastructure';
type WithInfra = typeof globalThis & { [KEY]?: Infrastructure };

/**
 * Jest globalSetup for integration and e2e tests: one PostgreSQL and one Kafka for the whole run.
 * Workers inherit DATABASE_URL and KAFKA_BROKERS from this process's environment.
 */
export default async function globalSetup(): Promise<void> {
  const workspaceRoot = resolve(__dirname, '../../../..');
  // `tmp/` is ignored, so a fresh clone running jest directly (not through `npm test`) has none yet.
  await mkdir(join(workspaceRoot, 'tmp'), { recursive: true });
  const dataRoot = await mkdtemp(join(workspaceRoot, 'tmp', 'test-infra-'));
  const started = Date.now();
  const infra = await startInfrastructure({
    workspaceRoot,
    dataRoot,
    mode: 'test',
    onLog: (source, line) => {
      if (process.env['SCIMBRIDGE_INFRA_LOGS'] === '1') process.stderr.write(`[${source}] ${line}\n`);
    },
  });
  (globalThis as WithInfra)[KEY] = infra;
  Object.assign(process.env, infra.env, { SCIMBRIDGE_TEST_DATA_ROOT: dataRoot });
  process.stderr.write(
    `\n[infra] postgres (${infra.postgres.source}) on port ${infra.postgres.port}, ` +
      `kafka (${infra.kafka.source}) on ${infra.kafka.brokers}, ready in ${Date.now() - started} ms\n`,
  );
}

export async function stopGlobalInfrastructure(): Promise<void> {
  const infra = (globalThis as WithInfra)[KEY];
  if (infra) await infra.stop();
}
