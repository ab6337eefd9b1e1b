import { randomUUID } from 'node:crypto';
import { Topics } from '@scimbridge/contracts';
import { PortalSessionCodec, PORTAL_CSRF_HEADER, PORTAL_SESSION_COOKIE } from '@scimbridge/service-kit';
import {
  createTestDirectory,
  createTestDirectoryIn,
  createTestOrganization,
  managementCall,
  scimClient,
  startIngressProcess,
  startServiceForTest,
  startServiceProcess,
  TEST_MANAGEMENT_KEY,
  TopicProbe,
  type HttpResult,
  type RunningService,
  type ServiceProcess,
  type TestDirectory,
} from '@scimbridge/testing';
import { webhookDeliveryEntry } from '../app/app.module';
import type { WebhookDeliveryConfig } from '../app/webhook-delivery.config';
import type { DeliveryView, WebhookView, WebhookWithSecret } from '../app/endpoints/webhook-endpoints.service';
import { oneLoginProvision, oneLoginSession, verifySignature, WebhookReceiver, type ReceivedRequest } from './webhook-delivery.test-support';

/*
 * Webhook delivery end to end: OneLogin-shaped SCIM traffic through the real ingress (its own process),
 * scim.directory.events on the real Kafka, and TWO webhook-delivery instances on the real PostgreSQL —
 * one a process as `npm start` runs it (its log is checked for secrets), one in this process — sharing
 * the work through leases. What a receiver gets is compared with what the topic carries.
 */

const BASE_ENV = {
  MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
  KAFKA_TOPIC_PARTITIONS: '3',
  WEBHOOK_SECRET_KEY: `test-webhook-secret-key-${'y'.repeat(32)}`,
  // Short waits; the last retry still comes ≥ 8 s after the first attempt (WEBHOOK_RETRY_MIN_SPAN_MS).
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1600ms,3200ms',
  WEBHOOK_RETRY_MIN_SPAN_MS: '8000',
  WEBHOOK_POLL_MS: '100',
  WEBHOOK_TIMEOUT_MS: '3000',
};

interface Stack {
  ingress: ServiceProcess;
  a: ServiceProcess;
  b: RunningService<WebhookDeliveryConfig>;
  probe: TopicProbe;
}

let stack: Stack | undefined;
const secretsShown: string[] = [];
const receivers: WebhookReceiver[] = [];

const s = (): Stack => {
  if (!stack) throw new Error('stack not started');
  return stack;
};

beforeAll(async () => {
  const ingress = await startIngressProcess();
  const env = { ...BASE_ENV, SCIM_INGRESS_URL: ingress.url, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };
  const a = await startServiceProcess('webhook-delivery', { ...env, LOG_LEVEL: 'debug' }, { readyTimeoutMs: 90_000 });
  const b = await startServiceForTest(webhookDeliveryEntry, env);
  const probe = new TopicProbe(Topics.directoryEvents);
  await probe.start();
  stack = { ingress, a, b, probe };
}, 180_000);

afterAll(async () => {
  for (const r of receivers) await r.stop();
  await stack?.probe.stop();
  await stack?.b.close();
  await stack?.a.stop();
  await stack?.ingress.stop();
}, 60_000);

async function receiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver();
  await r.start();
  receivers.push(r);
  return r;
}

/** Management API calls alternate between the two instances: either must do. */
let turn = 0;
function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
  turn += 1;
  return managementCall<T>(turn % 2 === 0 ? s().a.url : s().b.url, method, path, body);
}

async function register(organizationId: string, url: string, extra: Record<string, unknown> = {}): Promise<WebhookWithSecret> {
  const created = await call<WebhookWithSecret>('POST', `/organizations/${organizationId}/webhooks`, { url, description: 'test', ...extra });
  if (created.status !== 201) throw new Error(`register webhook: ${created.status} ${created.text}`);
  secretsShown.push(created.body.secret);
  return created.body;
}

/** Envelope ids of a directory on the topic, once it is quiet. */
async function topicIds(directory: TestDirectory, atLeast: number): Promise<string[]> {
  await s().probe.waitFor(directory.directoryId, atLeast);
  return (await s().probe.settled(directory.directoryId, 1_000)).map((e) => e.envelope.id);
}

function idsOf(requests: readonly ReceivedRequest[]): string[] {
  return requests.map((r) => String(r.headers['webhook-id']));
}

/** First arrival of each webhook-id, in arrival order; checks that repeats are the same message. */
function deduplicated(requests: readonly ReceivedRequest[]): string[] {
  const first = new Map<string, string>();
  for (const r of requests) {
    const id = String(r.headers['webhook-id']);
    const seen = first.get(id);
    if (seen === undefined) first.set(id, r.body);
    else expect(r.body).toBe(seen);
  }
  return [...first.keys()];
}

async function deliveryLog(organizationId: string, webhookId: string, query = ''): Promise<DeliveryView[]> {
  const answer = await call<{ deliveries: DeliveryView[] }>('GET', `/organizations/${organizationId}/webhooks/${webhookId}/deliveries${query}`);
  expect(answer.status).toBe(200);
  return answer.body.deliveries;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('registration', () => {
  it('validates bodies (400), hides other organizations (404), shows the secret once and rotates it', async () => {
    const directory = await createTestDirectory(s().ingress.url);
    const org = directory.organizationId;
    const bad = await call<{ message: string[] }>('POST', `/organizations/${org}/webhooks`, { url: 'http://127.0.0.1:1/x', eventTypes: ['not a type'], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('eventTypes must be event type names');
    expect(bad.text).toContain('property extra should not exist');
    expect((await call('POST', `/organizations/${org}/webhooks`, {})).status).toBe(400);
    expect((await call('POST', `/organizations/${org}/webhooks`, { url: 'http://127.0.0.1:1/x', enabled: 'yes' })).status).toBe(400);
    expect((await call('POST', `/organizations/${randomUUID()}/webhooks`, { url: 'http://127.0.0.1:1/x' })).status).toBe(404);

    const created = await register(org, 'http://127.0.0.1:1/x', { eventTypes: ['UserProvisioned'] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ organizationId: org, url: 'http://127.0.0.1:1/x', eventTypes: ['UserProvisioned'], enabled: true, description: 'test' });
    const read = await call<WebhookView>('GET', `/organizations/${org}/webhooks/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.text).not.toContain(created.secret.slice(6));
    expect(JSON.stringify((await call('GET', `/organizations/${org}/webhooks`)).body)).not.toContain('whsec_');

    const patched = await call<WebhookView>('PATCH', `/organizations/${org}/webhooks/${created.id}`, { enabled: false, description: null, eventTypes: [] });
    expect(patched.body).toMatchObject({ enabled: false, description: null, eventTypes: [] });
    const rotated = await call<WebhookWithSecret>('POST', `/organizations/${org}/webhooks/${created.id}/secret`);
    expect(rotated.status).toBe(201);
    secretsShown.push(rotated.body.secret);
    expect(rotated.body.secret).not.toBe(created.secret);

    // Another organization's portal session sees nothing of it; its own does (writes need the CSRF header).
    const other = await createTestDirectory(s().ingress.url);
    const session = (organizationId: string): Record<string, string> => ({
      cookie: `${PORTAL_SESSION_COOKIE}=${new PortalSessionCodec(TEST_MANAGEMENT_KEY).sign({ sid: randomUUID(), organizationId, linkId: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 })}`,
    });
    const asPortal = (organizationId: string, method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${s().a.url}/api/v1${path}`, {
        method,
        headers: { ...session(organizationId), [PORTAL_CSRF_HEADER]: '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await asPortal(other.organizationId, 'GET', `/organizations/${org}/webhooks`)).status).toBe(404);
    expect((await asPortal(other.organizationId, 'GET', `/organizations/${org}/webhooks/${created.id}`)).status).toBe(404);
    expect((await asPortal(other.organizationId, 'DELETE', `/organizations/${org}/webhooks/${created.id}`)).status).toBe(404);
    expect((await asPortal(other.organizationId, 'GET', `/organizations/${org}/webhooks/${created.id}/deliveries`)).status).toBe(404);
    expect((await asPortal(org, 'GET', `/organizations/${org}/webhooks/${created.id}`)).status).toBe(200);
    const csrfLess = await fetch(`${s().a.url}/api/v1/organizations/${org}/webhooks/${created.id}`, { method: 'DELETE', headers: session(org) });
    expect(csrfLess.status).toBe(403);
    expect((await asPortal(org, 'DELETE', `/organizations/${org}/webhooks/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/organizations/${org}/webhooks/${created.id}`)).status).toBe(404);
  });

  it('keeps an organization at 50 webhooks even when creates race on two instances', async () => {
    const directory = await createTestDirectory(s().ingress.url);
    const org = directory.organizationId;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call<WebhookWithSecret & { message: string }>('POST', `/organizations/${org}/webhooks`, { url: `http://127.0.0.1:1/cap-${i}` })),
    );
    for (const answer of answers) if (answer.status === 201) secretsShown.push(answer.body.secret);
    expect(answers.filter((a) => a.status === 201).length).toBe(50);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.map((a) => a.status)).toEqual(Array(10).fill(400));
    expect(refused[0]?.body.message).toBe('an organization has at most 50 webhooks');
    expect((await call<{ webhooks: unknown[] }>('GET', `/organizations/${org}/webhooks`)).body.webhooks).toHaveLength(50);
  });
});

describe('delivery', () => {
  it('delivers every event of the directory, in order, each signed so that standard-webhooks verifies it', async () => {
    const r = await receiver();
    // The endpoint exists before the directories: an endpoint gets the events that reach the service
    // after it was registered, so a directory created first may or may not have its DirectoryCreated
    // delivered (the relay publishes a lone event at once).
    const org = await createTestOrganization(s().ingress.url);
    const hook = await register(org, r.url);
    const directory = await createTestDirectoryIn(s().ingress.url, org);
    const scim = scimClient(directory);
    await oneLoginSession(scim, 'a');
    // A second directory of the same organization: its own line, delivered to the same endpoint.
    const second = await createTestDirectoryIn(s().ingress.url, org);
    await oneLoginSession(scimClient(second), 'b');

    for (const d of [directory, second]) {
      const expected = await topicIds(d, 10);
      await r.waitFor(() => r.forDirectory(d.directoryId).length >= expected.length, `${expected.length} deliveries for ${d.directoryId}`);
      const got = r.forDirectory(d.directoryId);
      // Nothing went wrong, so nothing was sent twice: exactly the topic's events, in the topic's order.
      expect(idsOf(got)).toEqual(expected);
      // The body is the envelope as published (the relay writes JSON.stringify of it).
      expect(got.map((x) => x.body)).toEqual(s().probe.received(d.directoryId).map((e) => JSON.stringify(e.envelope)));
      for (const request of got) {
        const payload = verifySignature(hook.secret, request) as { id: string; directoryid: string; organizationid: string };
        expect(payload.id).toBe(request.headers['webhook-id']);
        expect(payload.organizationid).toBe(directory.organizationId);
        expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        expect(request.headers['content-type']).toBe('application/json');
      }
      // A wrong secret does not verify: the check above can fail.
      expect(() => verifySignature(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got[0] as ReceivedRequest)).toThrow();
    }
    const types = r.forDirectory(directory.directoryId).map((x) => (JSON.parse(x.body) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['DirectoryCreated', 'UserProvisioned', 'GroupCreated', 'GroupMembershipChanged', 'UserUpdated', 'UserDeactivated', 'UserDeprovisioned']));

    const log = await deliveryLog(directory.organizationId, hook.id, '?status=succeeded&limit=200');
    expect(log.filter((x) => x.directoryId === directory.directoryId)).toHaveLength(r.forDirectory(directory.directoryId).length);
    expect(log[0]?.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204 })]);
  });

  it('honours the event-type filter and disabled endpoints', async () => {
    const [all, onlyUsers, disabled] = [await receiver(), await receiver(), await receiver()];
    const org = await createTestOrganization(s().ingress.url);
    await register(org, all.url);
    await register(org, onlyUsers.url, { eventTypes: ['UserProvisioned', 'UserDeprovisioned'] });
    await register(org, disabled.url, { enabled: false });
    const directory = await createTestDirectoryIn(s().ingress.url, org);
    await oneLoginSession(scimClient(directory), 'f');
    const expected = await topicIds(directory, 10);
    await all.waitFor(() => all.forDirectory(directory.directoryId).length >= expected.length, 'all events');
    const expectedUsers = (await s().probe.settled(directory.directoryId, 200)).filter((e) => ['UserProvisioned', 'UserDeprovisioned'].includes(e.event.type)).map((e) => e.envelope.id);
    await onlyUsers.waitFor(() => onlyUsers.requests.length >= expectedUsers.length, 'filtered events');
    await new Promise((r) => setTimeout(r, 500));
    expect(idsOf(onlyUsers.requests)).toEqual(expectedUsers);
    expect(disabled.requests).toEqual([]);
  });

  it('holds a directory’s line while the receiver is down (503, then refusing connections) and delivers everything, in order, once up', async () => {
    const r = await receiver();
    const org = await createTestOrganization(s().ingress.url);
    const hook = await register(org, r.url);
    const directory = await createTestDirectoryIn(s().ingress.url, org);
    const scim = scimClient(directory);
    await r.setMode({ kind: 'status', status: 503 });
    await oneLoginSession(scim, 'd1');
    await r.waitFor(() => r.requests.length >= 3, 'a few refused attempts');
    await r.setMode({ kind: 'closed' });
    await oneLoginSession(scim, 'd2');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const whileDown = await deliveryLog(directory.organizationId, hook.id, '?status=pending&limit=200');
    expect(whileDown.length).toBeGreaterThan(10);
    const head = whileDown[whileDown.length - 1] as DeliveryView;
    expect(head.attempts).toBeGreaterThan(1);
    expect(head.nextAttemptAt).not.toBeNull();
    expect(head.attemptLog.map((a) => a.statusCode ?? a.error)).toEqual(expect.arrayContaining([503, expect.stringMatching(/ECONNREFUSED/)]));
    // Only the head of the line was ever tried.
    expect(new Set(idsOf(r.requests))).toEqual(new Set([head.eventId]));

    await r.setMode({ kind: 'status', status: 200, body: 'ok' });
    const expected = await topicIds(directory, 20);
    await r.waitFor(() => new Set(idsOf(r.forDirectory(directory.directoryId))).size >= expected.length, 'every event after the outage');
    const accepted = r.forDirectory(directory.directoryId).filter((x) => x.receivedAt > 0);
    // Apply-once in effect: repeats only as retries of the same webhook-id (and body), order kept.
    expect(deduplicated(accepted)).toEqual(expected);
    for (const request of accepted) verifySignature(hook.secret, request);
    const dead = await deliveryLog(directory.organizationId, hook.id, '?status=dead');
    expect(dead).toEqual([]);
  });

  it('dead-letters after the last retry, moves the line on, shows the attempts, and redelivers on request', async () => {
    const r = await receiver();
    await r.setMode({ kind: 'status', status: 500, body: 'boom: database down' });
    const directory = await createTestDirectory(s().ingress.url);
    const hook = await register(directory.organizationId, r.url, { eventTypes: ['UserProvisioned'] });
    const scim = scimClient(directory);
    const first = await oneLoginProvision(scim, `dead-1-${randomUUID().slice(0, 8)}@example.com`);
    const second = await oneLoginProvision(scim, `dead-2-${randomUUID().slice(0, 8)}@example.com`);

    const dead = await eventually(() => deliveryLog(directory.organizationId, hook.id, '?status=dead'), (log) => log.length === 2, 'two dead deliveries', 90_000);
    // Newest first: the second user's delivery went dead after the first one's (the line moved on).
    const [secondDelivery, firstDelivery] = dead as [DeliveryView, DeliveryView];
    for (const d of [firstDelivery, secondDelivery]) {
      expect(d.attempts).toBe(7);
      expect(d.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500, 500, 500, 500, 500]);
      expect(d.attemptLog[0]?.responseSnippet).toBe('boom: database down');
      expect(d.lastError).toBe('HTTP 500');
      expect(d.nextAttemptAt).toBeNull();
      // The minimum span: the last attempt came ≥ 8 s after the first.
      expect(Date.parse((d.attemptLog[6] as { startedAt: string }).startedAt) - Date.parse((d.attemptLog[0] as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(7_900);
    }
    const payloadUser = (d: DeliveryView): string => {
      const request = r.requests.find((x) => x.headers['webhook-id'] === d.eventId) as ReceivedRequest;
      return (JSON.parse(request.body) as { data: { userId: string } }).data.userId;
    };
    expect([payloadUser(firstDelivery), payloadUser(secondDelivery)]).toEqual([first, second]);
    // Every attempt at the first ended before the first attempt at the second.
    const lastOfFirst = Math.max(...r.requests.filter((x) => x.headers['webhook-id'] === firstDelivery.eventId).map((x) => x.receivedAt));
    const firstOfSecond = Math.min(...r.requests.filter((x) => x.headers['webhook-id'] === secondDelivery.eventId).map((x) => x.receivedAt));
    expect(lastOfFirst).toBeLessThanOrEqual(firstOfSecond);

    await r.setMode({ kind: 'status', status: 202 });
    const before = r.requests.length;
    const redelivered = await call<DeliveryView>('POST', `/organizations/${directory.organizationId}/webhooks/${hook.id}/deliveries/${firstDelivery.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body.status).toBe('pending');
    const done = await eventually(
      () => deliveryLog(directory.organizationId, hook.id, '?status=succeeded'),
      (log) => log.length === 1,
      'the redelivery to succeed',
    );
    expect(done[0]).toMatchObject({ id: firstDelivery.id, attempts: 8, lastStatusCode: 202 });
    const again = r.requests.slice(before);
    expect(idsOf(again)).toEqual([firstDelivery.eventId]);
    verifySignature(hook.secret, again[0] as ReceivedRequest);
    expect((await call('POST', `/organizations/${directory.organizationId}/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`)).status).toBe(404);
  });
});

describe('events API', () => {
  it('pages through a directory’s events in order with opaque cursors, and picks up what came later', async () => {
    const directory = await createTestDirectory(s().ingress.url);
    await oneLoginSession(scimClient(directory), 'e');
    const expected = await topicIds(directory, 10);
    const page = (after?: string, limit = 3) =>
      call<{ events: { id: string; type: string; directoryid: string }[]; nextCursor: string; hasMore: boolean }>(
        'GET',
        `/events?directoryId=${directory.directoryId}&limit=${limit}${after ? `&after=${after}` : ''}`,
      );
    const collect = async (from?: string): Promise<{ ids: string[]; cursor: string | undefined; pages: number }> => {
      const ids: string[] = [];
      let cursor = from;
      let pages = 0;
      for (;;) {
        const answer = await page(cursor);
        expect(answer.status).toBe(200);
        expect(answer.body.events.length).toBeLessThanOrEqual(3);
        ids.push(...answer.body.events.map((e) => e.id));
        cursor = answer.body.nextCursor;
        pages += 1;
        if (!answer.body.hasMore) return { ids, cursor, pages };
      }
    };
    const all = await eventually(() => collect(), (x) => x.ids.length >= expected.length, 'the events API to have every event');
    expect(all.ids).toEqual(expected);
    expect(all.pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / 3));
    // The envelope as published, not a re-shaped copy.
    const firstPage = await page(undefined, 1);
    expect(Object.keys(firstPage.body.events[0] as object).sort()).toEqual(
      ['data', 'datacontenttype', 'dataschema', 'directoryid', 'id', 'organizationid', 'sequence', 'source', 'specversion', 'subject', 'time', 'type'].sort(),
    );

    // Caught up: the last cursor answers nothing new, then exactly what happened since.
    const idle = await page(all.cursor);
    expect(idle.body).toEqual({ events: [], nextCursor: all.cursor, hasMore: false });
    const later = await oneLoginProvision(scimClient(directory), `later-${randomUUID().slice(0, 8)}@example.com`);
    const next = await eventually(() => page(all.cursor), (x) => x.body.events.length > 0, 'the new event');
    expect(next.body.events.map((e) => e.type)).toEqual(['UserProvisioned']);
    expect(JSON.stringify(next.body.events[0])).toContain(later);

    // Bad input and foreign or unknown directories.
    expect((await call('GET', `/events?after=not-a-cursor`)).status).toBe(400);
    expect((await call('GET', `/events?limit=0`)).status).toBe(400);
    expect((await call('GET', `/events?limit=5000`)).status).toBe(400);
    expect((await call('GET', `/events?directoryId=${randomUUID()}`)).status).toBe(404);
    const other = await createTestDirectory(s().ingress.url);
    await s().probe.waitFor(other.directoryId, 1);
    const session = (organizationId: string): Record<string, string> => ({
      cookie: `${PORTAL_SESSION_COOKIE}=${new PortalSessionCodec(TEST_MANAGEMENT_KEY).sign({ sid: randomUUID(), organizationId, linkId: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 })}`,
    });
    const foreign = await fetch(`${s().a.url}/api/v1/events?directoryId=${directory.directoryId}`, { headers: session(other.organizationId) });
    expect(foreign.status).toBe(404);
    const own = await fetch(`${s().a.url}/api/v1/events?directoryId=${directory.directoryId}&limit=1000`, { headers: session(directory.organizationId) });
    expect(own.status).toBe(200);
    // Without directoryId a session gets its own organization's events only.
    const orgWide = await eventually(
      async () => (await (await fetch(`${s().a.url}/api/v1/events?limit=1000`, { headers: session(other.organizationId) })).json()) as { events: { organizationid: string }[] },
      (x) => x.events.length > 0,
      'org-wide events',
    );
    expect(new Set(orgWide.events.map((e) => e.organizationid))).toEqual(new Set([other.organizationId]));
    expect((await fetch(`${s().a.url}/api/v1/events`)).status).toBe(401);
  });
});

describe('secrets', () => {
  it('never appear in the service log', async () => {
    // Against the process instance (its output is kept, the last 20 kB): create, read, rotate, list.
    const directory = await createTestDirectory(s().ingress.url);
    const org = directory.organizationId;
    const shown: string[] = [];
    const created = await managementCall<WebhookWithSecret>(s().a.url, 'POST', `/organizations/${org}/webhooks`, { url: 'http://127.0.0.1:1/hook', enabled: false });
    expect(created.status).toBe(201);
    shown.push(created.body.secret);
    const rotated = await managementCall<WebhookWithSecret>(s().a.url, 'POST', `/organizations/${org}/webhooks/${created.body.id}/secret`);
    shown.push(rotated.body.secret);
    await managementCall(s().a.url, 'GET', `/organizations/${org}/webhooks`);
    await new Promise((r) => setTimeout(r, 500));
    const log = s().a.output();
    // The process logs at debug level (requests included), so the check has material.
    expect(log).toContain(`/organizations/${org}/webhooks`);
    for (const secret of [...shown, ...secretsShown]) expect(log).not.toContain(secret.slice('whsec_'.length, 30));
    expect(log).not.toContain(BASE_ENV.WEBHOOK_SECRET_KEY);
    expect(log).not.toContain(TEST_MANAGEMENT_KEY);
  });
});
