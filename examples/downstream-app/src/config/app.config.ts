import 'reflect-metadata';
import { Expose, plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';

/**
 * Everything the app reads from the environment, validated once at boot. Two fields are secrets
 * (DATABASE_URL carries a password, WEBHOOK_SECRET signs webhooks): `describe()` never prints them.
 */
export class AppConfig {
  @Expose()
  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  @Expose()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3100;

  /** Nest's logger: `debug` shows every event applied; `warn` only refusals, rejections and gaps. */
  @Expose()
  @Transform(({ value }) => (value === 'info' ? 'log' : value)) // the name scimbridge's own services use
  @IsIn(['debug', 'log', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'log' | 'warn' | 'error' = 'log';

  /** `kafka`: consume the topics. `webhook`: receive the same events as signed HTTP requests. */
  @Expose()
  @IsIn(['kafka', 'webhook'])
  SYNC_MODE: 'kafka' | 'webhook' = 'kafka';

  @Expose()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL!: string;

  /** The app's own PostgreSQL schema: its tables never mix with scimbridge's. */
  @Expose()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA = 'downstream_app';

  @Expose()
  @ValidateIf((c: AppConfig) => c.SYNC_MODE === 'kafka')
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...] in kafka mode' })
  KAFKA_BROKERS = '';

  /** The consumer group: its committed offsets are where a restarted app resumes. */
  @Expose()
  @IsString()
  @IsNotEmpty()
  KAFKA_GROUP_ID = 'downstream-app';

  /** `whsec_` + base64, as the webhook endpoint's settings show it. */
  @Expose()
  @ValidateIf((c: AppConfig) => c.SYNC_MODE === 'webhook')
  @Matches(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, { message: 'WEBHOOK_SECRET must be whsec_<base64> in webhook mode' })
  WEBHOOK_SECRET = '';

  /** The settings in force, for the start-up log line: never the secrets. */
  describe(): Record<string, string | number> {
    return {
      HOST: this.HOST,
      PORT: this.PORT,
      SYNC_MODE: this.SYNC_MODE,
      LOG_LEVEL: this.LOG_LEVEL,
      DATABASE_SCHEMA: this.DATABASE_SCHEMA,
      ...(this.SYNC_MODE === 'kafka' ? { KAFKA_BROKERS: this.KAFKA_BROKERS, KAFKA_GROUP_ID: this.KAFKA_GROUP_ID } : {}),
    };
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Builds the config from the environment; every problem at once, naming the variable but never its value. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const config = plainToInstance(AppConfig, present, { excludeExtraneousValues: true, exposeDefaultValues: true });
  const errors = validateSync(config, { validationError: { target: false, value: false } });
  if (errors.length > 0) throw new ConfigError(errors.flatMap((e) => Object.values(e.constraints ?? {})));
  return config;
}
