import { join } from 'node:path';
import { startKafka, type KafkaHandle } from './kafka';
import { startPostgres, type PostgresHandle } from './postgres';

export interface Infrastructure {
  readonly postgres: PostgresHandle;
  readonly kafka: KafkaHandle;
  /** The variables services and tests read: DATABASE_URL, KAFKA_BROKERS. */
  readonly env: { DATABASE_URL: string; KAFKA_BROKERS: string };
  stop(): Promise<void>;
}

export interface InfrastructureOptions {
  readonly workspaceRoot: string;
  /** Folder holding `postgres/` and `kafka/`. */
  readonly dataRoot: string;
  /** 'dev' keeps data and PostgreSQL's durability (npm start); 'test' is throw-away and fast. */
  readonly mode: 'dev' | 'test';
  readonly postgresPort?: number;
  readonly kafkaPort?: number;
  readonly onLog?: (source: 'postgres' | 'kafka', line: string) => void;
}

/** Starts PostgreSQL and Kafka side by side; if either fails, the other is stopped again. */
export async function startInfrastructure(options: InfrastructureOptions): Promise<Infrastructure> {
  const persistent = options.mode === 'dev';
  const [pg, kafka] = await Promise.allSettled([
    startPostgres({
      dataDir: join(options.dataRoot, 'postgres'),
      preferredPort: options.postgresPort,
      persistent,
      durable: persistent,
      onLog: (line) => options.onLog?.('postgres', line),
    }),
    startKafka({
      dataDir: join(options.dataRoot, 'kafka'),
      preferredPort: options.kafkaPort,
      workspaceRoot: options.workspaceRoot,
      onLog: (line) => options.onLog?.('kafka', line),
    }),
  ]);
  if (pg.status === 'rejected' || kafka.status === 'rejected') {
    await Promise.allSettled([
      pg.status === 'fulfilled' ? pg.value.stop() : undefined,
      kafka.status === 'fulfilled' ? kafka.value.stop() : undefined,
    ]);
    const reasons = [pg, kafka]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
    throw new Error(`infrastructure did not start:\n${reasons.join('\n')}`);
  }
  const postgres = pg.value;
  const broker = kafka.value;
  return {
    postgres,
    kafka: broker,
    env: { DATABASE_URL: postgres.url, KAFKA_BROKERS: broker.brokers },
    stop: async () => {
      // Kafka first: it holds no state PostgreSQL needs, and its shutdown is the slower one.
      await Promise.allSettled([broker.stop(), postgres.stop()]);
    },
  };
}
