/**
 * `npm run portal-query:rebuild` — replays scim.directory.events, scim.role-mapping.events and
 * scim.role.events from offset 0 into a fresh generation of portal-query's read models and switches
 * over atomically. The service may keep running (it follows the switch); reads the same environment as
 * the service (DATABASE_URL, KAFKA_BROKERS, ...).
 */
import { DataSource } from 'typeorm';
import { createKafkaClient, createServicePool, loadConfig, migrateReadModels, readModelDataSourceOptions } from '@scimbridge/service-kit';
import { SERVICE_NAME } from './app/app.module';
import { PORTAL_QUERY_ENTITIES } from './app/persistence/entities';
import { PORTAL_QUERY_MIGRATIONS } from './app/persistence/migrations';
import { portalQueryConfig } from './app/portal-query.config';
import { rebuildReadModels } from './app/rebuild/rebuild';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE_NAME, portalQueryConfig);
  const say = (line: string): void => void process.stdout.write(`[rebuild] ${line}\n`);
  // The register and the first generation must exist (a first start of the service creates them; so does this).
  const dataSource = await new DataSource(readModelDataSourceOptions(SERVICE_NAME, config, { entities: PORTAL_QUERY_ENTITIES, migrations: PORTAL_QUERY_MIGRATIONS })).initialize();
  await migrateReadModels(dataSource).finally(() => dataSource.destroy());
  // Per partition consumed at once (3) a transaction and its next chunk's event log written ahead, plus the progress poll.
  const pool = createServicePool(SERVICE_NAME, config.DATABASE_URL, 8, (m) => say(`warning: ${m}`), `${SERVICE_NAME} rebuild`);
  const kafka = createKafkaClient(SERVICE_NAME, config.KAFKA_BROKERS, config.LOG_LEVEL, { warn: (m) => say(`kafka: ${m}`), debug: () => undefined });
  try {
    const report = await rebuildReadModels({ pool, kafka, log: { info: say, warn: (m) => say(`warning: ${m}`), error: (m) => say(`error: ${m}`) } });
    say(`done in ${report.seconds.toFixed(1)} s: generation ${report.previousGeneration} → ${report.generation} (${report.schema}), ${report.replayedMessages} messages replayed in ${report.replaySeconds.toFixed(2)} s; query indexes and statistics in ${report.indexSeconds.toFixed(2)} s`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[rebuild] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
