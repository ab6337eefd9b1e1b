import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { Client } from 'pg';
import { requiredEnv, uniqueId } from '../isolation';
import { waitFor } from './ports';

/**
 * Proves the harness hands tests a real broker and a real database, not stand-ins: a round trip
 * through Kafka's consumer-group protocol, and PostgreSQL transactions and LISTEN/NOTIFY.
 */
describe('test infrastructure harness', () => {
  describe('Kafka', () => {
    const kafka = new Kafka({
      clientId: uniqueId('harness'),
      brokers: requiredEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });

    it('round-trips messages through a real broker to two independent consumer groups', async () => {
      const topic = uniqueId('harness-roundtrip');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);

      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sent = Array.from({ length: 12 }, (_, i) => ({ key: `dir-${i % 4}`, value: `message-${i}` }));
      await producer.send({ topic, acks: -1, messages: sent });
      await producer.disconnect();

      const committedCount = async (groupId: string): Promise<number> => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      };

      const consumeAll = async (groupId: string): Promise<string[]> => {
        const consumer = kafka.consumer({ groupId });
        const seen: string[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${groupId} saw only ${seen.length} messages`)), 30_000);
          void consumer.run({
            autoCommitThreshold: 1,
            eachMessage: async ({ message }: EachMessagePayload) => {
              seen.push(message.value?.toString() ?? '');
              if (seen.length === sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
        // The last batch's offsets are committed right after its handler returns; wait for them.
        await waitFor(`${groupId} offsets`, async () => {
          if ((await committedCount(groupId)) < sent.length) throw new Error('not committed yet');
        });
        await consumer.disconnect();
        return seen;
      };

      const groupA = uniqueId('group-a');
      const groupB = uniqueId('group-b');
      const [seenA, seenB] = [await consumeAll(groupA), await consumeAll(groupB)];
      const expected = sent.map((m) => m.value).sort();
      expect([...seenA].sort()).toEqual(expected);
      expect([...seenB].sort()).toEqual(expected);

      // Each group committed its own offsets on the broker: 12 messages over 3 partitions.
      expect(await committedCount(groupA)).toBe(sent.length);
      expect(await committedCount(groupB)).toBe(sent.length);
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    });

    it('keeps per-key order within a partition', async () => {
      const topic = uniqueId('harness-order');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let i = 0; i < 20; i += 1) {
        await producer.send({ topic, acks: -1, messages: [{ key: 'one-directory', value: String(i) }] });
      }
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: uniqueId('order') });
      const seen: number[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(Number(message.value?.toString()));
            if (seen.length === 20) resolve();
          },
        });
      });
      await consumer.disconnect();
      await admin.disconnect();
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  });

  describe('PostgreSQL', () => {
    const connect = async (): Promise<Client> => {
      const client = new Client({ connectionString: requiredEnv('DATABASE_URL') });
      await client.connect();
      return client;
    };

    it('is a real server with transactions: a rollback leaves nothing, a commit is visible to others', async () => {
      const table = `harness_${uniqueId('t').replace(/-/g, '_')}`;
      const writer = await connect();
      const reader = await connect();
      try {
        const version = await writer.query<{ server_version_num: string }>('SHOW server_version_num');
        expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);

        await writer.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO ${table} VALUES (1, 'rolled back')`);
        await writer.query('ROLLBACK');
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO ${table} VALUES (2, 'committed')`);
        // Not visible to another session before COMMIT (READ COMMITTED isolation).
        expect((await reader.query(`SELECT id FROM ${table}`)).rows).toEqual([]);
        await writer.query('COMMIT');
        expect((await reader.query(`SELECT id, note FROM ${table}`)).rows).toEqual([{ id: 2, note: 'committed' }]);
        await expect(writer.query(`INSERT INTO ${table} VALUES (2, 'duplicate')`)).rejects.toThrow(/duplicate key/);
      } finally {
        await writer.query(`DROP TABLE IF EXISTS ${table}`);
        await Promise.all([writer.end(), reader.end()]);
      }
    });

    it('delivers LISTEN/NOTIFY only after the notifying transaction commits', async () => {
      const channel = `harness_${uniqueId('c').replace(/-/g, '_')}`;
      const listener = await connect();
      const notifier = await connect();
      try {
        const received: string[] = [];
        listener.on('notification', (n) => {
          if (n.channel === channel) received.push(n.payload ?? '');
        });
        await listener.query(`LISTEN ${channel}`);
        await notifier.query('BEGIN');
        await notifier.query('SELECT pg_notify($1, $2)', [channel, 'first']);
        await new Promise((r) => setTimeout(r, 200));
        expect(received).toEqual([]);
        await notifier.query('COMMIT');
        await notifier.query('SELECT pg_notify($1, $2)', [channel, 'second']);
        const deadline = Date.now() + 5_000;
        while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(received).toEqual(['first', 'second']);
      } finally {
        await Promise.all([listener.end(), notifier.end()]);
      }
    });
  });
});
