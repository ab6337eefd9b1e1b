import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { AppConfig } from '../config/app.config';
import { EventSink } from '../sync/event-sink';

/**
 * Kafka mode: a plain kafkajs consumer of the two topics an app needs. scim.role-mapping.events is left
 * out on purpose: what a mapping change does to users arrives as RoleAssigned / RoleRevoked.
 *
 * Offsets: kafkajs commits a message's offset after `eachMessage` resolved, i.e. after the database
 * transaction committed. A crash in between redelivers the message on restart, and the EventSink skips
 * it as a duplicate. A message whose apply throws (database down) is retried, never skipped: kafkajs
 * retries it, then restarts the consumer from the last committed offset.
 */
@Injectable()
export class KafkaSubscriber implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(KafkaSubscriber.name);
  private consumer: Consumer | undefined;
  private joined = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly sink: EventSink,
  ) {}

  /** Ready once the consumer group has handed this instance its partitions. */
  get ready(): boolean {
    return this.config.SYNC_MODE !== 'kafka' || this.joined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.SYNC_MODE !== 'kafka') return;
    const kafka = new Kafka({ clientId: 'downstream-app', brokers: this.config.KAFKA_BROKERS.split(','), logLevel: logLevel.WARN });
    const consumer = kafka.consumer({ groupId: this.config.KAFKA_GROUP_ID });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.joined = true));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      this.logger.error(`consumer crashed (${payload.error.message}); kafkajs restarts it: ${String(payload.restart)}`);
    });
    await consumer.connect();
    // fromBeginning applies only when the group has no committed offset yet: the first start reads the
    // topics' history; every later start resumes where the group left off.
    await consumer.subscribe({ topics: [Topics.directoryEvents, Topics.roleEvents], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const outcome = await this.sink.receive(message.value, `kafka:${topic}/${partition}@${message.offset}`);
        if (outcome.result !== 'rejected') this.logger.debug(`${outcome.result} ${outcome.type} ${outcome.eventId}`);
      },
    });
    this.logger.log(`consuming ${Topics.directoryEvents}, ${Topics.roleEvents} as group ${this.config.KAFKA_GROUP_ID}`);
  }

  /**
   * Finishes the message in hand, commits, and leaves the group, so a restart (or another replica) takes
   * the partitions over at once. Before the database closes: Nest closes TypeORM in the next phase.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
