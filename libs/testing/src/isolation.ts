import { randomUUID } from 'node:crypto';

/**
 * Tests share one PostgreSQL and one Kafka per run and never truncate shared tables: each test makes
 * its own ids (organization, directory, topic, consumer group) so tests cannot see each other's data.
 */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function requiredEnv(name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run integration tests through jest.int.config.ts (its globalSetup starts the infrastructure)`);
  }
  return value;
}
