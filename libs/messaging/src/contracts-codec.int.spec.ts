import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { EXAMPLES, Topics, streamIds } from '@scimbridge/contracts';
import { OutboxRelay, PostgresEventStore } from '@scimbridge/event-store';
import { requiredEnv, uniqueId, waitFor } from '@scimbridge/testing';
import { contractsDecoder, contractsMessageMapper } from './contracts-codec';
import { ProjectionRunner } from './projection-runner';

/**
 * The public wire format end to end: stored events are validated against their JSON Schema on publish
 * (an invalid one goes to the relay's dead-letter topic, never onto the public topic) and on consume.
 */
describe('contracts codec through relay and projection', () => {
  const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 10 });
  const kafka = new Kafka({ clientId: 'codec-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

  afterAll(async () => {
    await pool.end();
  });

  it('publishes valid UserProvisioned envelopes keyed by directory, skips private events, dead-letters an invalid one, and projects the valid ones', async () => {
    const schema = `codec_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = new PostgresEventStore(pool, { schema, pollIntervalMs: 20 });
    await store.migrate();
    await pool.query(`CREATE TABLE "${schema}".users (user_id text PRIMARY KEY, user_name text NOT NULL)`);
    const admin = kafka.admin();
    await admin.connect();
    const relayDlq = uniqueId('relay-dlq');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: Topics.directoryEvents, numPartitions: 3 }, { topic: relayDlq }] });
    await admin.disconnect();

    const directoryId = randomUUID();
    const example = EXAMPLES.UserProvisioned;
    const metadata = { ...example.metadata, directoryId };
    // A service-private event (as the ingress keeps for organizations): the mapper says null, the relay skips it.
    await store.append(`private:${directoryId}`, [{ id: randomUUID(), type: 'PrivateThing', schemaVersion: 1, data: {}, metadata }], { expectedVersion: 0 });
    const users = [randomUUID(), randomUUID()];
    for (const userId of users) {
      const data = { ...(example.event.data as unknown as Record<string, unknown>), userId, resource: { ...(example.event.data as unknown as { resource: Record<string, unknown> }).resource, id: userId } };
      await store.append(streamIds.user(directoryId, userId), [{ id: randomUUID(), type: 'UserProvisioned', schemaVersion: 1, data, metadata }], { expectedVersion: 0 });
    }
    const brokenUser = randomUUID();
    await store.append(streamIds.user(directoryId, brokenUser), [{ id: randomUUID(), type: 'UserProvisioned', schemaVersion: 1, data: { userId: brokenUser }, metadata }], { expectedVersion: 0 });

    const publicMapper = contractsMessageMapper('scim-ingress');
    const relay = new OutboxRelay({ name: 'public', pool, schema, store, kafka, toMessage: (e) => (e.type === 'PrivateThing' ? null : publicMapper(e)), deadLetterTopic: relayDlq, pollIntervalMs: 20 });
    await relay.migrate();
    const runner = new ProjectionRunner({
      serviceName: `codec-${schema}`, pool, schema, kafka, decode: contractsDecoder,
      projection: {
        name: 'users',
        topics: [Topics.directoryEvents],
        apply: async (event, tx) => {
          const data = event.data as { userId?: string; userName?: string };
          if (event.type === 'UserProvisioned' && event.subject.includes(directoryId)) {
            await tx.query(`INSERT INTO "${schema}".users VALUES ($1, $2)`, [data.userId, data.userName]);
          }
        },
      },
    });
    await runner.migrate();
    relay.start();
    await runner.start();
    try {
      await waitFor('both valid users projected', async () => {
        const { rows } = await pool.query(`SELECT user_id FROM "${schema}".users`);
        if (rows.length < 2) throw new Error(`${rows.length} projected`);
      }, { timeoutMs: 60_000 });
      const { rows } = await pool.query<{ user_id: string; user_name: string }>(`SELECT user_id, user_name FROM "${schema}".users ORDER BY user_id`);
      expect(rows.map((r) => r.user_id)).toEqual([...users].sort());
      expect(rows[0]?.user_name).toBe((example.event.data as unknown as { userName: string }).userName);

      const dead: string[] = [];
      const consumer = kafka.consumer({ groupId: uniqueId('dlq') });
      await consumer.connect();
      await consumer.subscribe({ topic: relayDlq, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void dead.push(message.headers?.['x-dead-letter-reason']?.toString() ?? '') });
      await waitFor('the invalid event on the relay dead-letter topic', async () => {
        if (dead.length < 1) throw new Error('not yet');
      });
      await consumer.disconnect();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatch(/does not match urn:scimbridge:events:UserProvisioned:v1/);
    } finally {
      await runner.stop();
      await relay.stop();
    }
  });
});
