import type { TopicName } from '@scimbridge/contracts';
import type { BaseServiceConfig } from './config/service-config';

export interface ServiceOptions<C extends BaseServiceConfig = BaseServiceConfig> {
  /** Short service name: log field, Kafka client id, and (snake_cased) its PostgreSQL schema. */
  readonly serviceName: string;
  readonly config: C;
  /**
   * Topics this service makes sure exist at start, with KAFKA_TOPIC_PARTITIONS partitions: public ones
   * (TopicName) and private ones such as its dead-letter topic.
   */
  readonly topics: readonly (TopicName | (string & {}))[];
}

/** Each service owns one PostgreSQL schema and never touches another service's tables. */
export function schemaFor(serviceName: string): string {
  return serviceName.replace(/[^a-z0-9]+/gi, '_').toLowerCase();
}
