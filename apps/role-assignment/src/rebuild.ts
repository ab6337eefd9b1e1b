/**
 * `npm run role-assignment:rebuild` — rebuilds role-assignment's state from the Kafka topics (offset 0)
 * and its own event store, publishing only what differs from what was already published (normally
 * nothing). Stop role-assignment first; it refuses to run while the service consumes. Reads the same
 * environment as the service (DATABASE_URL, KAFKA_BROKERS, ...).
 */
import { DataSource } from 'typeorm';
import { createKafkaClient, createServicePool, loadConfig, migrateReadModels, readModelDataSourceOptions } from '@scimbridge/service-kit';
import { SCHEMA, SERVICE_NAME } from './app/app.module';
import { ROLE_ASSIGNMENT_ENTITIES } from './app/persistence/entities';
import { ROLE_ASSIGNMENT_MIGRATIONS } from './app/persistence/migrations';
import { rebuildRoleAssignment } from './app/rebuild/rebuild';
import { roleAssignmentConfig } from './app/role-assignment.config';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE_NAME, roleAssignmentConfig);
  const say = (line: string): void => void process.stdout.write(`[rebuild] ${line}\n`);
  // The tables must exist (a first start of the service creates them; so does this).
  const dataSource = await new DataSource(readModelDataSourceOptions(SERVICE_NAME, config, { entities: ROLE_ASSIGNMENT_ENTITIES, migrations: ROLE_ASSIGNMENT_MIGRATIONS })).initialize();
  await migrateReadModels(dataSource).finally(() => dataSource.destroy());
  const pool = createServicePool(SERVICE_NAME, config.DATABASE_URL, 4, (m) => say(`warning: ${m}`), `${SERVICE_NAME} rebuild`);
  const kafka = createKafkaClient(SERVICE_NAME, config.KAFKA_BROKERS, config.LOG_LEVEL, { warn: (m) => say(`kafka: ${m}`), debug: () => undefined });
  try {
    const report = await rebuildRoleAssignment({ pool, schema: SCHEMA, serviceName: SERVICE_NAME, kafka, log: { info: say, warn: (m) => say(`warning: ${m}`), error: (m) => say(`error: ${m}`) } });
    say(
      `done in ${report.seconds.toFixed(1)} s: ${report.replayedMessages} messages replayed, ${report.directories} directories, ${report.grants} grants; ` +
        `${report.published} role events published (0 means the state matched what was published)`,
    );
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[rebuild] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
