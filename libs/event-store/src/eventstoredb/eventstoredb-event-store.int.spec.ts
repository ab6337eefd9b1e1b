import { existsSync } from 'node:fs';
import { eventStoreContract } from '../contract/event-store.contract-suite';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

/**
 * The EventStoreDB adapter passes the same contract as the PostgreSQL store whenever a server can be
 * had: EVENTSTORE_URL (e.g. esdb://127.0.0.1:2113?tls=false), or a container when Docker is reachable.
 * No EventStoreDB server can be installed on our machines (not in npm, Maven, PyPI or Debian), so there
 * the suite is reported as skipped with that reason rather than silently passing.
 */
const url = process.env['EVENTSTORE_URL'];
const dockerHint = Boolean(process.env['DOCKER_HOST']) || existsSync('/var/run/docker.sock');
const reason = 'no EventStoreDB server: set EVENTSTORE_URL or run where a Docker engine is reachable';

if (url || dockerHint) {
  let store: EventStoreDbEventStore | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;

  beforeAll(async () => {
    if (url) {
      store = EventStoreDbEventStore.fromConnectionString(url);
      return;
    }
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('eventstore/eventstore:24.10')
      .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'true' })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    stopContainer = () => container.stop();
    store = EventStoreDbEventStore.fromConnectionString(`esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`);
  }, 180_000);

  afterAll(async () => {
    await store?.dispose();
    await stopContainer?.();
  });

  eventStoreContract('EventStoreDbEventStore', () => {
    if (!store) throw new Error('EventStoreDB did not start');
    return store;
  });
} else {
  // Skipped for a stated reason (see above): there is no server to test against here.
  process.stderr.write(`[skipped] EventStoreDB contract suite: ${reason}\n`);
  describe.skip(`EventStoreDbEventStore: EventStore contract — skipped: ${reason}`, () => {
    it('runs the EventStore contract suite against EventStoreDB', () => undefined);
  });
}
