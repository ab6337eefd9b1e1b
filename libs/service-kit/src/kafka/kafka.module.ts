import { Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import { ALL_TOPICS } from '@scimbridge/contracts';
import type { ServiceOptions } from '../service-options';
import { KAFKA_CLIENT, SERVICE_OPTIONS } from '../tokens';

const toKafkaLevel: Record<string, logLevel> = {
  fatal: logLevel.ERROR,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.WARN,
  debug: logLevel.INFO,
  trace: logLevel.DEBUG,
  silent: logLevel.NOTHING,
};

/** The service's Kafka client (also for its worker threads), its log lines through `logger`. */
export function createKafkaClient(serviceName: string, brokers: string, level: string, logger: { warn(message: string): void; debug(message: string): void }): Kafka {
  return new Kafka({
    clientId: serviceName,
    brokers: brokers.split(','),
    logLevel: toKafkaLevel[level] ?? logLevel.WARN,
    logCreator:
      () =>
      ({ level: entryLevel, log }: LogEntry) => {
        const { message, ...rest } = log;
        const line = `${message} ${JSON.stringify(rest)}`;
        // kafkajs logs every retried connection attempt as ERROR; failures that matter surface as
        // thrown errors (and in /health/ready), so its own log lines are warnings at most.
        if (entryLevel <= logLevel.WARN) logger.warn(line);
        else logger.debug(line);
      },
  });
}

/**
 * Keeps one admin connection for readiness checks and creates the service's topics at start. Topic
 * creation retries in the background so a service can boot before Kafka and report not-ready meanwhile.
 */
@Injectable()
export class KafkaTopics implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Kafka');
  private readonly admin: Admin;
  private ensured = false;
  private stopped = false;
  private lastError: string | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(SERVICE_OPTIONS) private readonly options: ServiceOptions,
  ) {
    this.admin = kafka.admin();
  }

  onModuleInit(): void {
    void this.ensureTopicsUntilDone();
  }

  get topicsReady(): boolean {
    return this.ensured;
  }

  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /** Throws unless the broker answers a metadata request within `timeoutMs`. */
  async ping(timeoutMs = 3_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.admin.describeCluster(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async ensureTopicsUntilDone(): Promise<void> {
    const { topics, config } = this.options;
    while (!this.stopped && !this.ensured) {
      try {
        await this.admin.connect();
        const existing = new Set(await this.admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length > 0) {
          await this.admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
              // The public topics are the event log read models are rebuilt from (replay from offset 0),
              // so they are kept for good instead of the broker's default 7 days.
              ...((ALL_TOPICS as readonly string[]).includes(topic) ? { configEntries: [{ name: 'retention.ms', value: '-1' }] } : {}),
            })),
          });
          this.logger.log(`created topics ${missing.join(', ')} (${config.KAFKA_TOPIC_PARTITIONS} partitions)`);
        }
        await this.keepPublicTopicsForGood();
        this.ensured = true;
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn(`topics not ready yet: ${this.lastError}; retrying`);
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  /**
   * A public topic created elsewhere (by the broker's auto-creation, a tool, an older version of this
   * service) may carry the broker's default retention of 7 days. Read models are rebuilt by replaying
   * these topics from offset 0, so that default is replaced by "forever"; a retention an operator set
   * on the topic explicitly is left as it is.
   */
  private async keepPublicTopicsForGood(): Promise<void> {
    const publicTopics = this.options.topics.filter((t) => (ALL_TOPICS as readonly string[]).includes(t));
    if (publicTopics.length === 0) return;
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: publicTopics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    for (const resource of resources) {
      const retention = resource.configEntries.find((e) => e.configName === 'retention.ms');
      if (!retention || retention.configSource === ConfigSource.TOPIC_CONFIG) continue;
      // AlterConfigs replaces the topic's whole set of overrides: keep the ones it has.
      const overrides = resource.configEntries
        .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG)
        .map((e) => ({ name: e.configName, value: e.configValue }));
      await this.admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: resource.resourceName, configEntries: [...overrides, { name: 'retention.ms', value: '-1' }] }],
      });
      this.logger.log(`topic ${resource.resourceName}: retention set to forever (was the broker default, ${retention.configValue} ms)`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.admin.disconnect();
  }
}

@Module({
  providers: [
    {
      provide: KAFKA_CLIENT,
      inject: [SERVICE_OPTIONS],
      useFactory: ({ serviceName, config }: ServiceOptions): Kafka => {
        const logger = new Logger('kafkajs');
        return createKafkaClient(serviceName, config.KAFKA_BROKERS, config.LOG_LEVEL, { warn: (m) => logger.warn(m), debug: (m) => logger.debug(m) });
      },
    },
    KafkaTopics,
  ],
  exports: [KAFKA_CLIENT, KafkaTopics],
})
export class KafkaModule {}
