import 'reflect-metadata';
import { Expose, plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min, validateSync } from 'class-validator';

const SECRET_KEYS = Symbol.for('scimbridge:config:secrets');

/** Marks a config field as secret: it is validated like any other but never printed or logged. */
export function Secret(): PropertyDecorator {
  return (target, key) => {
    const keys: string[] = Reflect.getMetadata(SECRET_KEYS, target) ?? [];
    Reflect.defineMetadata(SECRET_KEYS, [...keys, String(key)], target);
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reads an integer env var; an empty string counts as unset so the class default applies. */
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** Settings every service shares. Each app extends it with its own (port default, feature flags). */
export class BaseServiceConfig {
  @Expose()
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Expose()
  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 0;

  @Expose()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** postgres://user:password@host:port/db — carries a password. */
  @Expose()
  @Secret()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL!: string;

  @Expose()
  @IsString()
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS!: string;

  /** Partitions for topics this service creates at start (scale-out unit; key = directory id). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 6;

  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  KAFKA_REPLICATION_FACTOR = 1;

  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE = 10;

  /** How long a starting service waits for PostgreSQL before it gives up (and exits non-zero). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DATABASE_CONNECT_TIMEOUT_MS = 30_000;
}

export class ConfigValidationError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Builds and validates a config object from the environment, failing fast with every problem listed.
 * Values of secret fields never appear in the messages.
 */
export function loadConfig<T extends BaseServiceConfig>(
  service: string,
  cls: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  // Empty variables count as unset, so `FOO=` in a .env file falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(cls, present, { excludeExtraneousValues: true, exposeDefaultValues: true });
  const secrets = new Set(secretKeys(config));
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = errors.map((e) =>
      secrets.has(e.property)
        ? `${e.property}: ${e.value === undefined ? 'is required' : 'is invalid (value hidden: secret)'}`
        : `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')} (got ${JSON.stringify(e.value)})`,
    );
    throw new ConfigValidationError(service, problems);
  }
  return config;
}

export function secretKeys(config: object): string[] {
  return Reflect.getMetadata(SECRET_KEYS, Object.getPrototypeOf(config)) ?? [];
}

/** The config as safe to print: secret fields replaced by a marker. */
export function describeConfig(config: object): Record<string, unknown> {
  const secrets = new Set(secretKeys(config));
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, secrets.has(key) ? '[secret]' : value]),
  );
}
