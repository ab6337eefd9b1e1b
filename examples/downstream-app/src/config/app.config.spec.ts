import { ConfigError, loadConfig } from './app.config';

const DATABASE_URL = 'postgres://app:s3cret-password@127.0.0.1:5432/app';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('AppConfig', () => {
  it('defaults to Kafka mode and needs the brokers there', () => {
    expect(problems({ DATABASE_URL })).toEqual([expect.stringMatching(/^KAFKA_BROKERS/)]);
    const config = loadConfig({ DATABASE_URL, KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(config).toMatchObject({ SYNC_MODE: 'kafka', PORT: 3100, DATABASE_SCHEMA: 'downstream_app', KAFKA_GROUP_ID: 'downstream-app' });
  });

  it('needs a whsec_ secret in webhook mode, and no brokers', () => {
    expect(problems({ DATABASE_URL, SYNC_MODE: 'webhook' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET/)]);
    expect(problems({ DATABASE_URL, SYNC_MODE: 'webhook', WEBHOOK_SECRET: 'plain-text-secret' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET/)]);
    expect(loadConfig({ DATABASE_URL, SYNC_MODE: 'webhook', WEBHOOK_SECRET, PORT: '0' })).toMatchObject({ SYNC_MODE: 'webhook', PORT: 0 });
  });

  it('lists every problem at once without printing any value', () => {
    const found = problems({ DATABASE_URL: 'mysql://root:hunter2@db/app', SYNC_MODE: 'webhook', WEBHOOK_SECRET: 'whsec_!!hunter2', DATABASE_SCHEMA: 'Robert"; DROP', PORT: 'x' });
    expect([...new Set(found.map((p) => p.split(' ')[0]))].sort()).toEqual(['DATABASE_SCHEMA', 'DATABASE_URL', 'PORT', 'WEBHOOK_SECRET']);
    expect(found.join('\n')).not.toMatch(/hunter2|DROP/);
  });

  it('describes itself without its secrets', () => {
    const line = JSON.stringify(loadConfig({ DATABASE_URL, SYNC_MODE: 'webhook', WEBHOOK_SECRET }).describe());
    expect(line).not.toContain('s3cret');
    expect(line).not.toContain(WEBHOOK_SECRET.slice('whsec_'.length));
    expect(line).toContain('"SYNC_MODE":"webhook"');
  });
});
