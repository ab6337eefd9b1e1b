import { randomUUID } from 'node:crypto';
import { createTestDirectory, managementCall, scimClient, startIngressProcess, startServiceProcess, TEST_MANAGEMENT_KEY, TopicProbe, type ServiceProcess } from '@scimbridge/testing';
import { Topics } from '@scimbridge/contracts';
import type { DeliveryView } from '../app/endpoints/webhook-endpoints.service';
import { oneLoginProvision, verifySignature, WebhookReceiver } from './webhook-delivery.test-support';

/*
 * An instance dies (SIGKILL) in the middle of an attempt, holding the lease of its line's head. A new
 * instance takes the delivery over once the lease has run out, sends it again under the same webhook-id,
 * and the line goes on in order: nothing lost, nothing reordered.
 */

const ENV = {
  MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
  KAFKA_TOPIC_PARTITIONS: '3',
  WEBHOOK_SECRET_KEY: `test-webhook-secret-key-${'y'.repeat(32)}`,
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms',
  WEBHOOK_RETRY_MIN_SPAN_MS: '0',
  WEBHOOK_POLL_MS: '100',
  WEBHOOK_TIMEOUT_MS: '20000',
  WEBHOOK_LEASE_MARGIN_MS: '1000',
};

let ingress: ServiceProcess | undefined;
let instance: ServiceProcess | undefined;
const probe = new TopicProbe(Topics.directoryEvents);
const receiver = new WebhookReceiver();

beforeAll(async () => {
  ingress = await startIngressProcess();
  await probe.start();
  await receiver.start();
}, 120_000);

afterAll(async () => {
  await receiver.stop();
  await probe.stop();
  await instance?.stop();
  await ingress?.stop();
}, 60_000);

it('takes over a dead instance’s leased delivery after the lease, resends it with the same webhook-id, and keeps the line’s order', async () => {
  if (!ingress) throw new Error('not started');
  const env = { ...ENV, SCIM_INGRESS_URL: ingress.url };
  instance = await startServiceProcess('webhook-delivery', env, { readyTimeoutMs: 90_000 });
  const directory = await createTestDirectory(ingress.url);
  const created = await managementCall<{ id: string; secret: string }>(instance.url, 'POST', `/organizations/${directory.organizationId}/webhooks`, { url: receiver.url, eventTypes: ['UserProvisioned'] });
  expect(created.status).toBe(201);

  // The receiver holds its first request open: the instance is mid-attempt when it dies.
  await receiver.setMode({ kind: 'hang' });
  const scim = scimClient(directory);
  const users: string[] = [];
  users.push(await oneLoginProvision(scim, `crash-0-${randomUUID().slice(0, 8)}@example.com`));
  await receiver.waitFor(() => receiver.requests.length === 1, 'the first attempt');
  for (let i = 1; i < 4; i += 1) users.push(await oneLoginProvision(scim, `crash-${i}-${randomUUID().slice(0, 8)}@example.com`));
  const killedAt = Date.now();
  process.kill(instance.pid as number, 'SIGKILL');
  await instance.stop();
  await receiver.setMode({ kind: 'status', status: 204 });

  instance = await startServiceProcess('webhook-delivery', env, { readyTimeoutMs: 90_000 });
  await receiver.waitFor(() => new Set(receiver.requests.map((r) => String(r.headers['webhook-id']))).size >= 4 && receiver.requests.length >= 5, 'every delivery after the restart');
  const [first, ...rest] = receiver.requests;
  // The first request again, same id and body; then the others, in order, once each.
  expect(rest[0]?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
  expect(rest[0]?.body).toBe(first?.body);
  // Not before the dead instance's lease (20 s timeout + 1 s margin from the lease) could have run out.
  expect((rest[0]?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(20_000);
  expect(killedAt).toBeLessThan(rest[0]?.receivedAt ?? 0);
  const delivered = rest.map((r) => (JSON.parse(r.body) as { data: { userId: string } }).data.userId);
  expect(delivered).toEqual(users);
  for (const r of receiver.requests) verifySignature(created.body.secret, r);

  const log = await managementCall<{ deliveries: DeliveryView[] }>(instance.url, 'GET', `/organizations/${directory.organizationId}/webhooks/${created.body.id}/deliveries`);
  expect(log.body.deliveries.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  // The attempt that died with its instance was never recorded; the one that succeeded was.
  expect(log.body.deliveries[3]?.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204 })]);
}, 120_000);
