import {
  createTestDirectoryIn,
  createTestOrganization,
  managementCall,
  randomFreePort,
  requiredEnv,
  scimClient,
  startIngressProcess,
  startServiceProcess,
  TEST_MANAGEMENT_KEY,
  uniqueId,
  type ScimClient,
  type ServiceProcess,
  type TestDirectory,
} from '@scimbridge/testing';
import { startDownstreamApp, waitForEqualTables, type DownstreamAppProcess } from './downstream-app.test-support';

/*
 * The example app in webhook mode against the real system: ingress, role-assignment and webhook-delivery
 * as their own processes on the run's PostgreSQL and Kafka; the app registered as the organization's
 * webhook endpoint and verifying every signature (standardwebhooks). Its table must end equal to what the
 * ingress and role-assignment say — also after it was down for a while (the sender retries, in order).
 */

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let ingress: ServiceProcess;
let roles: ServiceProcess;
let webhooks: ServiceProcess;
let app: DownstreamAppProcess | undefined;
const schema = `downstream_wh_${uniqueId('s').slice(2, 10).replace(/-/g, '')}`;

beforeAll(async () => {
  ingress = await startIngressProcess();
  roles = await startServiceProcess('role-assignment', { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
  webhooks = await startServiceProcess(
    'webhook-delivery',
    {
      MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
      SCIM_INGRESS_URL: ingress.url,
      KAFKA_TOPIC_PARTITIONS: '3',
      WEBHOOK_SECRET_KEY: `e2e-webhook-secret-key-${'z'.repeat(32)}`,
      // The receiver runs on 127.0.0.1 here; production refuses private addresses.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // Quick retries, so the receiver's downtime is bridged within the test.
      WEBHOOK_RETRY_SCHEDULE: '200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
      WEBHOOK_RETRY_MIN_SPAN_MS: '20000',
    },
    { readyTimeoutMs: 90_000 },
  );
}, 240_000);

afterAll(async () => {
  await app?.stop();
  await webhooks?.stop();
  await roles?.stop();
  await ingress?.stop();
}, 60_000);

const user = (name: string, active = true): Record<string, unknown> => ({
  schemas: [USER_URN],
  userName: `${name}@example.com`,
  name: { givenName: name, familyName: 'Test' },
  emails: [{ value: `${name}@example.com`, type: 'work', primary: true }],
  active,
});

describe('examples/downstream-app in webhook mode', () => {
  let directory: TestDirectory;
  let scim: ScimClient;
  let port: number;
  let secret: string;
  const ids: Record<string, string> = {};
  const deleted: string[] = [];
  const appEnv = (): Record<string, string> => ({ SYNC_MODE: 'webhook', DATABASE_URL: requiredEnv('DATABASE_URL'), DATABASE_SCHEMA: schema, WEBHOOK_SECRET: secret, LOG_LEVEL: 'warn' });

  it('receives every change as a signed webhook and ends with the directory’s users and roles', async () => {
    // The endpoint first, then the directory: an endpoint gets the events that reach webhook-delivery
    // after it exists, so all of this directory's, DirectoryCreated included.
    const organizationId = await createTestOrganization(ingress.url);
    port = await randomFreePort();
    const endpoint = await managementCall<{ id: string; secret: string }>(webhooks.url, 'POST', `/organizations/${organizationId}/webhooks`, {
      url: `http://127.0.0.1:${port}/webhooks/scimbridge`,
      description: 'examples/downstream-app',
      eventTypes: [],
    });
    expect(endpoint.status).toBe(201);
    directory = await createTestDirectoryIn(ingress.url, organizationId, 'onelogin');
    scim = scimClient(directory);
    const { directoryId } = directory;
    secret = endpoint.body.secret;
    app = await startDownstreamApp(appEnv(), { port });

    expect((await managementCall(roles.url, 'PUT', `/organizations/${organizationId}/roles`, { roles: [{ key: 'admin', displayName: 'Admin' }, { key: 'viewer', displayName: 'Viewer' }] })).status).toBe(200);
    for (const name of ['ann', 'ben', 'cat']) {
      const created = await scim('POST', '/Users', user(name));
      expect(created.status).toBe(201);
      ids[name] = String(created.body['id']);
    }
    const group = await scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Admins', members: [{ value: ids['ann'] }, { value: ids['ben'] }] });
    expect(group.status).toBe(201);
    ids['admins'] = String(group.body['id']);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const mapped = await managementCall(roles.url, 'PUT', `/directories/${directoryId}/role-mappings`, { mappings: [{ groupId: ids['admins'], roles: ['admin'] }], defaultRole: 'viewer', defaultRoleAppliesTo: 'unassigned' });
      if (mapped.status === 200) break;
      if (Date.now() > deadline) throw new Error(`role mapping refused: ${mapped.status} ${mapped.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitForEqualTables(app.url, scim, roles.url, directoryId, deleted, (truth) => {
      expect(truth['ann@example.com']).toMatchObject({ roles: ['admin'] });
      expect(truth['ben@example.com']).toMatchObject({ roles: ['admin'] });
      expect(truth['cat@example.com']).toMatchObject({ roles: ['viewer'] });
    });
  }, 180_000);

  it('gets everything, in order, after being down while the directory changed (the sender retries)', async () => {
    const { directoryId } = directory;
    await app!.stop();
    app = undefined;
    // While the receiver is down: ben leaves Admins, cat is suspended, ann is deleted, dan joins Admins.
    const patch = (operations: Record<string, unknown>[]) => scim('PATCH', `/Groups/${ids['admins']}`, { schemas: [PATCH_URN], Operations: operations });
    expect((await patch([{ op: 'remove', path: `members[value eq "${ids['ben']}"]` }])).status).toBeLessThan(300);
    expect((await scim('PUT', `/Users/${ids['cat']}`, user('cat', false))).status).toBe(200);
    expect((await scim('DELETE', `/Users/${ids['ann']}`)).status).toBe(204);
    deleted.push(ids['ann'] as string);
    const dan = await scim('POST', '/Users', user('dan'));
    ids['dan'] = String(dan.body['id']);
    expect((await patch([{ op: 'add', path: 'members', value: [{ value: ids['dan'] }] }])).status).toBeLessThan(300);
    // Long enough for some deliveries to fail and be rescheduled.
    await new Promise((r) => setTimeout(r, 2_000));

    app = await startDownstreamApp(appEnv(), { port });
    await waitForEqualTables(app.url, scim, roles.url, directoryId, deleted, (truth) => {
      expect(Object.keys(truth).sort()).toEqual(['ben@example.com', 'cat@example.com', 'dan@example.com']);
      expect(truth['ben@example.com']).toMatchObject({ roles: ['viewer'] });
      expect(truth['cat@example.com']).toMatchObject({ active: false, roles: [] });
      expect(truth['dan@example.com']).toMatchObject({ roles: ['admin'] });
    });
    // The sender's log shows the retries: deliveries that failed while the app was down, then succeeded.
    const endpoints = await managementCall<{ webhooks: { id: string }[] }>(webhooks.url, 'GET', `/organizations/${directory.organizationId}/webhooks`);
    const log = await managementCall<{ deliveries: { status: string; attempts: number }[] }>(
      webhooks.url,
      'GET',
      `/organizations/${directory.organizationId}/webhooks/${endpoints.body.webhooks[0]?.id}/deliveries?limit=200`,
    );
    expect(log.body.deliveries.some((d) => d.status === 'succeeded' && d.attempts > 1)).toBe(true);
    expect(log.body.deliveries.filter((d) => d.status === 'dead')).toEqual([]);
  }, 180_000);
});
