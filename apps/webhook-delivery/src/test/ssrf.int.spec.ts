import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDirectory, managementCall, requiredEnv, scimClient, startIngressProcess, startServiceForTest, TEST_MANAGEMENT_KEY, type RunningService, type ServiceProcess } from '@scimbridge/testing';
import { SCHEMA, webhookDeliveryEntry } from '../app/app.module';
import type { DeliveryView } from '../app/endpoints/webhook-endpoints.service';
import type { WebhookDeliveryConfig } from '../app/webhook-delivery.config';
import { oneLoginProvision, WebhookReceiver } from './webhook-delivery.test-support';

/*
 * SSRF protection with private networks NOT allowed (the other suites allow them: their receivers are on
 * 127.0.0.1): at registration, and at delivery time (DNS rebinding: a name that resolved to a public address at
 * registration may resolve to a private one later). Here only a strict instance runs (private networks
 * NOT allowed). The endpoint row is pointed at 127.0.0.1 behind the API's back, as a changed DNS answer
 * would: the dispatcher must refuse to connect and log why, and the receiver must get nothing.
 */

let ingress: ServiceProcess | undefined;
let strict: RunningService<WebhookDeliveryConfig> | undefined;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  ingress = await startIngressProcess();
  strict = await startServiceForTest(webhookDeliveryEntry, {
    MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
    SCIM_INGRESS_URL: ingress.url,
    KAFKA_TOPIC_PARTITIONS: '3',
    WEBHOOK_SECRET_KEY: `test-webhook-secret-key-${'y'.repeat(32)}`,
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false',
    WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
    WEBHOOK_RETRY_MIN_SPAN_MS: '0',
    WEBHOOK_POLL_MS: '100',
  });
  await receiver.start();
}, 180_000);

afterAll(async () => {
  await receiver.stop();
  await strict?.close();
  await ingress?.stop();
}, 60_000);

it('refuses URLs that are not public http(s) with a clear 400, on create and on change', async () => {
  if (!ingress || !strict) throw new Error('not started');
  const service = strict;
  const directory = await createTestDirectory(ingress.url);
  const refused = async (url: string): Promise<string> => {
    const answer = await managementCall<{ message: string }>(service.url, 'POST', `/organizations/${directory.organizationId}/webhooks`, { url });
    expect({ url, status: answer.status }).toEqual({ url, status: 400 });
    return String(answer.body.message);
  };
  expect(await refused('http://127.0.0.1:8080/hook')).toMatch(/url refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1 \(ipv4 loopback\)/);
  expect(await refused('http://localhost/hook')).toMatch(/url refused: localhost resolves to .*loopback/);
  expect(await refused('http://10.1.2.3/hook')).toMatch(/private/);
  expect(await refused('http://169.254.169.254/latest/meta-data/')).toMatch(/linkLocal/);
  expect(await refused('http://100.64.0.1/')).toMatch(/carrierGradeNat/);
  expect(await refused('http://[::1]/')).toMatch(/ipv6 loopback/);
  expect(await refused('http://[::ffff:127.0.0.1]/')).toMatch(/loopback/);
  expect(await refused('http://0.0.0.0/')).toMatch(/unspecified/);
  expect(await refused('http://224.0.0.1/')).toMatch(/multicast/);
  expect(await refused('ftp://example.com/')).toMatch(/must be http or https/);
  expect(await refused('http://user:pw@example.com/')).toMatch(/credentials/);
  const list = await managementCall<{ webhooks: unknown[] }>(service.url, 'GET', `/organizations/${directory.organizationId}/webhooks`);
  expect(list.body.webhooks).toEqual([]);
  // Nor can a public URL be changed into a private one.
  const created = await managementCall<{ id: string }>(service.url, 'POST', `/organizations/${directory.organizationId}/webhooks`, { url: 'http://93.184.215.14/hook', enabled: false });
  expect(created.status).toBe(201);
  const patched = await managementCall<{ message: string }>(service.url, 'PATCH', `/organizations/${directory.organizationId}/webhooks/${created.body.id}`, { url: 'http://192.168.0.10/hook' });
  expect(patched.status).toBe(400);
  expect(patched.body.message).toMatch(/url refused: .*private/);
});

it('refuses at delivery time a URL that now points at a private address, and never connects', async () => {
  if (!ingress || !strict) throw new Error('not started');
  const directory = await createTestDirectory(ingress.url);
  // Registered with a public literal (accepted: nothing is sent at registration), disabled for now.
  const created = await managementCall<{ id: string; secret: string }>(strict.url, 'POST', `/organizations/${directory.organizationId}/webhooks`, { url: 'http://93.184.215.14/hook', enabled: false });
  expect(created.status).toBe(201);
  const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await db.connect();
  try {
    await db.query(`UPDATE "${SCHEMA}".webhook_endpoints SET url = $2, enabled = true WHERE id = $1`, [created.body.id, receiver.url]);
  } finally {
    await db.end();
  }
  await oneLoginProvision(scimClient(directory), `ssrf-${randomUUID().slice(0, 8)}@example.com`);
  const deadline = Date.now() + 60_000;
  let dead: DeliveryView[] = [];
  while (Date.now() < deadline) {
    const log = await managementCall<{ deliveries: DeliveryView[] }>(strict.url, 'GET', `/organizations/${directory.organizationId}/webhooks/${created.body.id}/deliveries?status=dead`);
    dead = log.body.deliveries;
    if (dead.length > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(dead.length).toBeGreaterThan(0);
  const delivery = dead[dead.length - 1] as DeliveryView;
  expect(delivery.attempts).toBe(3);
  for (const attempt of delivery.attemptLog) {
    expect(attempt.statusCode).toBeNull();
    expect(attempt.error).toMatch(/^refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1 \(ipv4 loopback\)/);
  }
  expect(receiver.requests).toEqual([]);
});
