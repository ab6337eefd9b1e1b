import { Expose } from 'class-transformer';
import { IsString } from 'class-validator';
import { BaseServiceConfig, ConfigValidationError, describeConfig, loadConfig, Secret } from './service-config';

class ExampleConfig extends BaseServiceConfig {
  override PORT = 3123;

  @Expose()
  @Secret()
  @IsString()
  API_KEY!: string;
}

const validEnv = {
  DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:5432/db',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  API_KEY: 'key-that-must-not-leak',
};

describe('loadConfig', () => {
  it('applies defaults, converts numbers and keeps only declared settings', () => {
    const config = loadConfig('example', ExampleConfig, { ...validEnv, KAFKA_TOPIC_PARTITIONS: '12', UNRELATED: 'x' });
    expect(config.PORT).toBe(3123);
    expect(config.KAFKA_TOPIC_PARTITIONS).toBe(12);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it('lets the environment override a subclass default, and treats empty strings as unset', () => {
    expect(loadConfig('example', ExampleConfig, { ...validEnv, PORT: '4000' }).PORT).toBe(4000);
    expect(loadConfig('example', ExampleConfig, { ...validEnv, PORT: '' }).PORT).toBe(3123);
  });

  it('fails fast listing every problem at once', () => {
    const attempt = (): unknown =>
      loadConfig('example', ExampleConfig, { KAFKA_BROKERS: 'not a broker list', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigValidationError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigValidationError).problems.join('\n');
      expect(problems).toMatch(/DATABASE_URL: is required/);
      expect(problems).toMatch(/KAFKA_BROKERS: KAFKA_BROKERS must be host:port/);
      expect(problems).toMatch(/PORT: .*"eighty"/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/API_KEY: is required/);
    }
  });

  it('never shows the value of a secret, valid or not', () => {
    try {
      loadConfig('example', ExampleConfig, { ...validEnv, DATABASE_URL: 'mysql://root:topsecret@db' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect((error as Error).message).toMatch(/DATABASE_URL: is invalid \(value hidden: secret\)/);
      expect((error as Error).message).not.toContain('topsecret');
    }
    const printable = JSON.stringify(describeConfig(loadConfig('example', ExampleConfig, validEnv)));
    expect(printable).not.toContain('hunter2');
    expect(printable).not.toContain('key-that-must-not-leak');
    expect(printable).toContain('"API_KEY":"[secret]"');
    expect(printable).toContain('"KAFKA_BROKERS":"127.0.0.1:9092,127.0.0.1:9093"');
  });
});
