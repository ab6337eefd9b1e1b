import {
  createTestDirectory,
  managementCall,
  randomFreePort,
  startServiceForTest,
  TEST_MANAGEMENT_KEY,
  TopicProbe,
  waitUntilReady,
  type HttpResult,
  type RunningService,
  type TestDirectory,
} from '@scimbridge/testing';
import { scimIngressEntry } from '../app/app.module';
import type { scimIngressConfig } from '../app/scim-ingress.config';

/*
 * Test support for the ingress: the real service on the run's PostgreSQL and Kafka, a management client,
 * a SCIM client, and a probe that reads what actually reached `scim.directory.events` (the clients and
 * the probe are libs/testing's, shared with the other services' tests).
 */
export { http, scimClient, type HttpResult, type ReceivedEvent, type TestDirectory } from '@scimbridge/testing';

export const MANAGEMENT_KEY = TEST_MANAGEMENT_KEY;

export interface Ingress {
  readonly service: RunningService<scimIngressConfig>;
  readonly url: string;
  close(): Promise<void>;
}

export async function startIngress(overrides: Record<string, string> = {}): Promise<Ingress> {
  // PUBLIC_URL must be where the service really listens, so endpoint URLs and Location headers work.
  const port = await randomFreePort();
  const service = await startServiceForTest(scimIngressEntry, {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    MANAGEMENT_API_KEY: MANAGEMENT_KEY,
    KAFKA_TOPIC_PARTITIONS: '3',
    // Tests drive bursts far above an IdP's rate; the limit has its own test with its own settings.
    SCIM_RATE_LIMIT_PER_SECOND: '100000',
    SCIM_RATE_LIMIT_BURST: '100000',
    SCIM_AUTH_FAILURES_PER_MINUTE: '100000',
    ...overrides,
  });
  await waitUntilReady(service.url);
  return { service, url: service.url, close: () => service.close() };
}

export async function management<T = Record<string, unknown>>(ingress: Ingress, method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
  return managementCall<T>(ingress.url, method, path, body);
}

/** A new organization with one directory of `provider`, as an admin would set it up. */
export async function createDirectory(ingress: Ingress, provider = 'onelogin'): Promise<TestDirectory> {
  return createTestDirectory(ingress.url, provider);
}

/** `scim.directory.events` read from the beginning, by directory. */
export class DirectoryEventsProbe extends TopicProbe {}

/**
 * One ingress and one event probe for a whole spec file: started before its tests, stopped after them.
 * Call at the top level of the file.
 */
export function ingressWithProbe(overrides: Record<string, string> = {}): { readonly ingress: Ingress; readonly probe: DirectoryEventsProbe } {
  const probe = new DirectoryEventsProbe();
  let ingress: Ingress | undefined;
  beforeAll(async () => {
    ingress = await startIngress(overrides);
    await probe.start();
  }, 60_000);
  afterAll(async () => {
    await probe.stop();
    await ingress?.close();
  });
  return {
    get ingress(): Ingress {
      if (!ingress) throw new Error('the ingress is not started yet (use it inside a test)');
      return ingress;
    },
    probe,
  };
}
