import { OutboxRelay, PostgresEventStore, type RecordedEvent, type RelayMessage } from '@scimbridge/event-store';
import { contractsMessageMapper, type ThreadWorkerFactory } from '@scimbridge/messaging';
import { createKafkaClient, createServicePool, schemaFor } from '@scimbridge/service-kit';
import { isIngressPrivateEvent } from '../domain/private-events';

/** Stored events that cannot become a valid public message land here, with the reason (never dropped). */
export const RELAY_DEAD_LETTER_TOPIC = 'scim-ingress.relay.dlq';
/** Events reach Kafka at most this much later, in fewer and larger produce requests. */
const RELAY_COALESCE_MS = 50;
/**
 * …but only under load: below this many events per second each append is published at once (appends
 * made during a publish go out together right after it), rising to the full 50 ms at twice the rate.
 * A portal user's write then reaches the read models ~25–50 ms sooner, while a bulk sync (thousands
 * of creates per second) is coalesced as before.
 */
const RELAY_COALESCE_ABOVE_PER_SECOND = 250;

/** Public events go to their topic; the ingress-private ones (organizations, deletion requests) stay in its store. */
export function ingressMessageMapper(serviceName: string): (event: RecordedEvent) => RelayMessage | null {
  const publicMapper = contractsMessageMapper(serviceName);
  return (event) => (isIngressPrivateEvent(event.type) ? null : publicMapper(event));
}

/** What the relay's thread needs to build its own connections (plain data: structured-cloned). */
export interface DirectoryEventsRelayData {
  readonly serviceName: string;
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  readonly logLevel: string;
}

/**
 * The outbox relay of `scim.directory.events`, built inside its worker thread (ThreadedWorker, see
 * app.module): its own pool (the leader lock's session and the reads) and Kafka client.
 */
export const createThreadWorker: ThreadWorkerFactory<DirectoryEventsRelayData> = (data, log) => {
  const schema = schemaFor(data.serviceName);
  const pool = createServicePool(data.serviceName, data.databaseUrl, 3, (m) => log.warn(m), `${data.serviceName} relay`);
  const store = new PostgresEventStore(pool, { schema });
  const kafka = createKafkaClient(data.serviceName, data.kafkaBrokers, data.logLevel, { warn: (m) => log.warn(m), debug: () => undefined });
  const relay = new OutboxRelay({
    name: `${data.serviceName}.directory-events`,
    pool,
    schema,
    store,
    kafka,
    toMessage: ingressMessageMapper(data.serviceName),
    deadLetterTopic: RELAY_DEAD_LETTER_TOPIC,
    // An IdP writing serially produces one event per request; batching them for 10 ms took the
    // broker from 0.30 to 0.21–0.23 cores at 160–220 serial creates/s. At 16 concurrent IdPs (events
    // on many partitions) 50 ms halved the broker's CPU per create again, 0.13 → 0.06–0.07 ms, and gave
    // 13–16% more creates/s in interleaved A/B runs; 100 ms added nothing more (docs/benchmarks.md).
    coalesceMs: RELAY_COALESCE_MS,
    coalesceAbovePerSecond: RELAY_COALESCE_ABOVE_PER_SECOND,
    logger: log,
  });
  return {
    workerName: relay.workerName,
    migrate: () => relay.migrate(),
    start: () => relay.start(),
    stop: () => relay.stop(),
    // Appends happen on the HTTP thread's store; its wake-ups are forwarded here.
    wake: () => store.notifyAppended(),
    close: () => pool.end(),
  };
};
