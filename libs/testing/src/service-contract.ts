import type { TopicName } from '@scimbridge/contracts';
import { schemaFor, type BaseServiceConfig, type ServiceEntry } from '@scimbridge/service-kit';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { requiredEnv } from './isolation';
import { getJson, startServiceForTest, waitUntilReady, type HealthBody } from './service-app';

/**
 * The checks every scimbridge service must pass against real infrastructure: it boots from its real
 * root module, answers liveness and readiness, owns its PostgreSQL schema and has created its topics.
 * Each app's `app.int.spec.ts` runs this for itself.
 */
export function describeServiceBasics<C extends BaseServiceConfig>(
  entry: ServiceEntry<C>,
  expected: {
    topics: readonly TopicName[];
    env?: Record<string, string>;
    /** Parts the service reports on /health/ready beside postgres and kafka (ReadinessChecks). */
    readiness?: readonly string[];
  },
): void {
  describe(`${entry.serviceName} service basics`, () => {
    it('boots its real module, reports live and ready, owns its schema and has created its topics', async () => {
      const service = await startServiceForTest(entry, { KAFKA_TOPIC_PARTITIONS: '3', ...expected.env });
      try {
        const live = await getJson<HealthBody>(`${service.url}/health`);
        expect(live.status).toBe(200);
        expect(live.body.status).toBe('ok');

        const ready = await waitUntilReady(service.url);
        expect(ready.status).toBe('ok');
        expect(Object.keys(ready.info ?? {}).sort()).toEqual(['kafka', 'postgres', ...(expected.readiness ?? [])].sort());

        const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
        await db.connect();
        try {
          const schema = await db.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
            schemaFor(entry.serviceName),
          ]);
          expect(schema.rowCount).toBe(1);
        } finally {
          await db.end();
        }

        const admin = new Kafka({ brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        try {
          const existing = await admin.listTopics();
          for (const topic of expected.topics) expect(existing).toContain(topic);
          const metadata = await admin.fetchTopicMetadata({ topics: [...expected.topics] });
          // The first service to start creates a topic; later ones find it. Either way it has partitions.
          for (const topic of metadata.topics) expect(topic.partitions.length).toBeGreaterThanOrEqual(1);
          // Public topics are the log read models are rebuilt from: kept for good, not 7 days.
          const configs = await admin.describeConfigs({
            includeSynonyms: false,
            resources: expected.topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
          });
          for (const resource of configs.resources) {
            expect({ topic: resource.resourceName, retention: resource.configEntries.find((e) => e.configName === 'retention.ms')?.configValue }).toEqual({
              topic: resource.resourceName,
              retention: '-1',
            });
          }
        } finally {
          await admin.disconnect();
        }
      } finally {
        await service.close();
      }
    });
  });
}
