import { parseEnvelope, Topics, type ContractEvent, type EventEnvelope } from '@scimbridge/contracts';
import { randomFreePort, requiredEnv, startServiceForTest, uniqueId, waitUntilReady, type RunningService } from '@scimbridge/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { scimIngressEntry } from '../app/app.module';
import type { scimIngressConfig } from '../app/scim-ingress.config';

/*
 * Test support for the ingress: the real service on the run's PostgreSQL and Kafka, a management client,
 * a SCIM client, and a probe that reads what actually reached `scim.directory.events`.
 */

export const MANAGEMENT_KEY = `test-management-key-${'x'.repeat(32)}`;

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

export interface HttpResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { accept: 'application/scim+json', ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/scim+json';
  }
  const response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

export interface TestDirectory {
  readonly organizationId: string;
  readonly directoryId: string;
  readonly endpointUrl: string;
  readonly token: string;
  readonly tokenId: string;
}

export async function management<T = Record<string, unknown>>(ingress: Ingress, method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
  return http<T>(method, `${ingress.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${MANAGEMENT_KEY}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { rawBody: JSON.stringify(body) }),
  });
}

/** A new organization with one directory of `provider`, as an admin would set it up. */
export async function createDirectory(ingress: Ingress, provider = 'onelogin'): Promise<TestDirectory> {
  const org = await management<{ id: string }>(ingress, 'POST', '/organizations', { name: uniqueId('org') });
  if (org.status !== 201) throw new Error(`create organization: ${org.status} ${org.text}`);
  const dir = await management<{ id: string; endpointUrl: string; bearerToken: string; token: { id: string } }>(
    ingress,
    'POST',
    `/organizations/${org.body.id}/directories`,
    { provider },
  );
  if (dir.status !== 201) throw new Error(`create directory: ${dir.status} ${dir.text}`);
  return {
    organizationId: org.body.id,
    directoryId: dir.body.id,
    endpointUrl: dir.body.endpointUrl,
    token: dir.body.bearerToken,
    tokenId: dir.body.token.id,
  };
}

/** A SCIM client bound to one directory. */
export function scimClient(directory: TestDirectory) {
  return <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> =>
    http<T>(method, `${directory.endpointUrl}${path}`, { token: directory.token, ...(body === undefined ? {} : { body }), headers });
}

export interface ReceivedEvent {
  readonly envelope: EventEnvelope;
  readonly event: ContractEvent;
}

/**
 * Reads `scim.directory.events` from the beginning with its own consumer group and keeps every valid
 * envelope by directory id, so a test can wait for exactly the events its directory caused.
 */
export class DirectoryEventsProbe {
  private consumer: Consumer | undefined;
  private readonly byDirectory = new Map<string, ReceivedEvent[]>();
  private readonly invalid: string[] = [];

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'ingress-test-probe', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: uniqueId('ingress-probe'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.directoryEvents, fromBeginning: true });
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined());
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = parseEnvelope(message.value);
        if (!parsed.ok) {
          this.invalid.push(parsed.error);
          return;
        }
        const list = this.byDirectory.get(parsed.envelope.directoryid) ?? [];
        list.push({ envelope: parsed.envelope, event: parsed.event });
        this.byDirectory.set(parsed.envelope.directoryid, list);
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  /** Contract violations seen on the topic (must stay empty). */
  get invalidMessages(): readonly string[] {
    return this.invalid;
  }

  /** Waits until the directory has at least `count` events, then returns all of them in topic order. */
  async waitFor(directoryId: string, count: number, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = this.byDirectory.get(directoryId) ?? [];
      if (events.length >= count) return [...events];
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} events for directory ${directoryId}, got ${events.length}: ${events.map((e) => e.event.type).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Everything received for the directory so far, after a quiet period in which nothing new arrived. */
  async settled(directoryId: string, quietMs = 1_500): Promise<ReceivedEvent[]> {
    let last = -1;
    for (;;) {
      const now = (this.byDirectory.get(directoryId) ?? []).length;
      if (now === last) return [...(this.byDirectory.get(directoryId) ?? [])];
      last = now;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }

  /** Event types of a directory, with DirectoryCreated/TokenIssued (its setup) left out. */
  static resourceEvents(events: readonly ReceivedEvent[]): ReceivedEvent[] {
    return events.filter((e) => !e.event.type.startsWith('Directory'));
  }
}

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
