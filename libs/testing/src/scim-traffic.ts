import { parseEnvelope, Topics, type ContractEvent, type EventEnvelope, type TopicName } from '@scimbridge/contracts';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { requiredEnv, uniqueId } from './isolation';

/*
 * Talking to the running system as its users do: the management API as the app's backend, SCIM as an
 * IdP, and a probe that reads what actually reached a public topic. Shared by every service's tests.
 */

/** The management key every test process hands its services (≥ 32 characters, as config demands). */
export const TEST_MANAGEMENT_KEY = `test-management-key-${'x'.repeat(32)}`;

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

/** A management API call (`/api/v1…`) on a service at `baseUrl`, as the app's backend makes it. */
export async function managementCall<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  key: string = TEST_MANAGEMENT_KEY,
): Promise<HttpResult<T>> {
  return http<T>(method, `${baseUrl}/api/v1${path}`, {
    headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { rawBody: JSON.stringify(body) }),
  });
}

export interface TestDirectory {
  readonly organizationId: string;
  readonly directoryId: string;
  readonly endpointUrl: string;
  readonly token: string;
  readonly tokenId: string;
}

/** A new organization (no directory yet) on the ingress at `ingressUrl`; its id. */
export async function createTestOrganization(ingressUrl: string, key: string = TEST_MANAGEMENT_KEY): Promise<string> {
  const org = await managementCall<{ id: string }>(ingressUrl, 'POST', '/organizations', { name: uniqueId('org') }, key);
  if (org.status !== 201) throw new Error(`create organization: ${org.status} ${org.text}`);
  return org.body.id;
}

/** A new organization with one directory of `provider` on the ingress at `ingressUrl`, as an admin sets it up. */
export async function createTestDirectory(ingressUrl: string, provider = 'onelogin', key: string = TEST_MANAGEMENT_KEY): Promise<TestDirectory> {
  return createTestDirectoryIn(ingressUrl, await createTestOrganization(ingressUrl, key), provider, key);
}

/** Another directory of an existing organization. */
export async function createTestDirectoryIn(ingressUrl: string, organizationId: string, provider = 'onelogin', key: string = TEST_MANAGEMENT_KEY): Promise<TestDirectory> {
  const dir = await managementCall<{ id: string; endpointUrl: string; bearerToken: string; token: { id: string } }>(
    ingressUrl,
    'POST',
    `/organizations/${organizationId}/directories`,
    { provider },
    key,
  );
  if (dir.status !== 201) throw new Error(`create directory: ${dir.status} ${dir.text}`);
  return { organizationId, directoryId: dir.body.id, endpointUrl: dir.body.endpointUrl, token: dir.body.bearerToken, tokenId: dir.body.token.id };
}

export type ScimClient = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult<T>>;

/** A SCIM client bound to one directory. */
export function scimClient(directory: TestDirectory): ScimClient {
  return <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> =>
    http<T>(method, `${directory.endpointUrl}${path}`, { token: directory.token, ...(body === undefined ? {} : { body }), headers });
}

export interface ReceivedEvent {
  readonly envelope: EventEnvelope;
  readonly event: ContractEvent;
}

/**
 * Reads a public topic from the beginning with its own consumer group and keeps every valid envelope by
 * directory id, so a test can wait for exactly the events its directory caused.
 */
export class TopicProbe {
  private consumer: Consumer | undefined;
  private readonly byDirectory = new Map<string, ReceivedEvent[]>();
  private readonly invalid: string[] = [];

  constructor(readonly topic: TopicName = Topics.directoryEvents) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'test-probe', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: uniqueId('probe'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
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

  /** Everything received for the directory so far (no waiting). */
  received(directoryId: string): ReceivedEvent[] {
    return [...(this.byDirectory.get(directoryId) ?? [])];
  }

  /** Waits until the directory has at least `count` events, then returns all of them in topic order. */
  async waitFor(directoryId: string, count: number, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = this.byDirectory.get(directoryId) ?? [];
      if (events.length >= count) return [...events];
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} events on ${this.topic} for directory ${directoryId}, got ${events.length}: ${events.map((e) => e.event.type).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
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
