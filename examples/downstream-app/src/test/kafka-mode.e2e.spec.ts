import { Topics } from '@scimbridge/contracts';
import {
  createTestDirectory,
  managementCall,
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
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { appRows, startDownstreamApp, waitForEqualTables, type DownstreamAppProcess } from './downstream-app.test-support';

/*
 * The example app in Kafka mode against the real system: the ingress and role-assignment as their own
 * processes on the run's PostgreSQL and Kafka, SCIM traffic shaped as OneLogin sends it (shared/idp
 * README: lookup then POST, `emails` as one object, booleans as strings, full PUT to update or suspend,
 * DELETE, membership PATCHes), roles mapped through the management API. The app's table must end equal
 * to what the ingress (SCIM GET /Users) and role-assignment (GET …/roles) say — also after it was down.
 */

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let ingress: ServiceProcess;
let roles: ServiceProcess;
let app: DownstreamAppProcess | undefined;
const schema = `downstream_e2e_${uniqueId('s').slice(2, 10).replace(/-/g, '')}`;
const groupId = uniqueId('downstream-app');

const appEnv = (group = groupId): Record<string, string> => ({
  SYNC_MODE: 'kafka',
  DATABASE_URL: requiredEnv('DATABASE_URL'),
  KAFKA_BROKERS: requiredEnv('KAFKA_BROKERS'),
  DATABASE_SCHEMA: schema,
  KAFKA_GROUP_ID: group,
  LOG_LEVEL: 'warn',
});

beforeAll(async () => {
  ingress = await startIngressProcess();
  roles = await startServiceProcess('role-assignment', { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await roles?.stop();
  await ingress?.stop();
}, 60_000);

/** OneLogin's admin-editable user template, with the habits seen in the wild. */
function oneLoginUser(userName: string, givenName: string, familyName: string, active: 'true' | 'false' = 'true'): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    userName,
    externalId: `ol-${userName}`,
    name: { givenName, familyName, formatted: '' },
    emails: { value: userName, type: 'work', primary: true },
    active,
    title: '',
    [ENTERPRISE_URN]: { department: 'Sales', manager: { managerId: '', displayName: '' } },
  };
}

class OneLogin {
  constructor(private readonly scim: ScimClient) {}

  /** Provisioning: lookup by userName, then create. */
  async provision(userName: string, givenName: string, familyName: string): Promise<string> {
    const lookup = await this.scim<{ totalResults: number }>('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, undefined, { accept: 'application/json' });
    expect(lookup.body.totalResults).toBe(0);
    const created = await this.scim('POST', '/Users', oneLoginUser(userName, givenName, familyName), { accept: 'application/json' });
    expect(created.status).toBe(201);
    return String(created.body['id']);
  }

  /** A profile change or Suspend: read, then a full PUT of the template. */
  async put(userId: string, userName: string, givenName: string, familyName: string, active: 'true' | 'false'): Promise<void> {
    expect((await this.scim('GET', `/Users/${userId}`)).status).toBe(200);
    const put = await this.scim('PUT', `/Users/${userId}`, oneLoginUser(userName, givenName, familyName, active));
    expect(put.status).toBe(200);
  }

  async remove(userId: string): Promise<void> {
    expect((await this.scim('DELETE', `/Users/${userId}`)).status).toBe(204);
  }

  /** A OneLogin Role pushed as a group. */
  async group(displayName: string): Promise<string> {
    const created = await this.scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName });
    expect(created.status).toBe(201);
    return String(created.body['id']);
  }

  async addMembers(groupId: string, ...userIds: string[]): Promise<void> {
    await this.patch(groupId, { op: 'add', path: 'members', value: userIds.map((value) => ({ value })) });
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.patch(groupId, { op: 'remove', path: `members[value eq "${userId}"]` });
  }

  private async patch(groupId: string, operation: Record<string, unknown>): Promise<void> {
    const answer = await this.scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [operation] });
    expect([200, 204]).toContain(answer.status);
  }
}

/** Role mappings may only name groups role-assignment has seen: a preview is refused until then. */
async function waitUntilMappable(directoryId: string, groupIds: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const preview = await managementCall(roles.url, 'POST', `/directories/${directoryId}/role-mappings/preview`, { mappings: groupIds.map((g) => ({ groupId: g, roles: [] })) });
    if (preview.status === 200) return;
    if (Date.now() > deadline) throw new Error(`role-assignment never saw groups ${groupIds.join(', ')}: ${preview.status} ${preview.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('examples/downstream-app in Kafka mode', () => {
  let directory: TestDirectory;
  let scim: ScimClient;
  let onelogin: OneLogin;
  const ids: Record<string, string> = {};
  const deleted: string[] = [];

  it('ends with the directory’s users and their roles after OneLogin traffic with a deactivation, a deletion and a membership removal', async () => {
    app = await startDownstreamApp(appEnv());
    directory = await createTestDirectory(ingress.url, 'onelogin');
    scim = scimClient(directory);
    onelogin = new OneLogin(scim);
    const { directoryId, organizationId } = directory;

    // The app's backend defines its roles.
    const catalog = await managementCall(roles.url, 'PUT', `/organizations/${organizationId}/roles`, {
      roles: [
        { key: 'admin', displayName: 'Admin' },
        { key: 'editor', displayName: 'Editor' },
        { key: 'viewer', displayName: 'Viewer' },
      ],
    });
    expect(catalog.status).toBe(200);

    // "Enable": OneLogin's connection test, then provisioning.
    const probe = await scim<{ totalResults: number }>('GET', `/Users?filter=${encodeURIComponent('userName eq "onelogin-connection-test"')}`);
    expect(probe.body.totalResults).toBe(0);
    for (const [name, given, family] of [
      ['alice', 'Alice', 'Ng'],
      ['bob', 'Bob', 'Ray'],
      ['carol', 'Carol', 'Ito'],
      ['dave', 'Dave', 'Kim'],
    ] as const) {
      ids[name] = await onelogin.provision(`${name}@example.com`, given, family);
    }
    const engineering = await onelogin.group('Engineering');
    const sales = await onelogin.group('Sales');
    ids['engineering'] = engineering;
    ids['sales'] = sales;
    await onelogin.addMembers(engineering, ids['alice']!, ids['bob']!);
    await onelogin.addMembers(sales, ids['carol']!, ids['bob']!, ids['dave']!);

    // Group based role assignment: Engineering → admin, Sales → editor, viewer for users with no other role.
    await waitUntilMappable(directoryId, [engineering, sales]);
    const mapped = await managementCall(roles.url, 'PUT', `/directories/${directoryId}/role-mappings`, {
      mappings: [
        { groupId: engineering, roles: ['admin'] },
        { groupId: sales, roles: ['editor'] },
      ],
      defaultRole: 'viewer',
      defaultRoleAppliesTo: 'unassigned',
    });
    expect(mapped.status).toBe(200);

    // Changes: a profile update, a suspension, a deletion, a membership removal (bob loses admin).
    await onelogin.put(ids['alice']!, 'alice@example.com', 'Alice', 'Ng-Smith', 'true');
    await onelogin.put(ids['carol']!, 'carol@example.com', 'Carol', 'Ito', 'false');
    await onelogin.remove(ids['dave']!);
    deleted.push(ids['dave']!);
    await onelogin.removeMember(engineering, ids['bob']!);

    // What the truth must become (so equality is not two tables agreeing on a state both will leave).
    await waitForEqualTables(app.url, scim, roles.url, directoryId, deleted, (truth) => {
      expect(Object.keys(truth).sort()).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
      expect(truth['alice@example.com']).toMatchObject({ active: true, roles: ['admin'] });
      expect(truth['bob@example.com']).toMatchObject({ active: true, roles: ['editor'] });
      expect(truth['carol@example.com']).toMatchObject({ active: false, roles: [] });
    });
    const rows = await appRows(app.url, directoryId);
    expect(rows.find((u) => u.userId === ids['alice'])).toMatchObject({ displayName: 'Alice Ng-Smith', groupIds: [engineering] });
    expect(rows.find((u) => u.userId === ids['dave'])).toMatchObject({ userName: 'dave@example.com', deprovisioned: true, roles: [] });
  }, 180_000);

  it('catches up from its committed offsets after being stopped while the directory changed', async () => {
    const { directoryId } = directory;
    await app!.stop();
    app = undefined;
    const admin = new Kafka({ clientId: 'downstream-e2e', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [Topics.directoryEvents, Topics.roleEvents] });
      // The group committed where it was: the restart resumes there rather than from the beginning.
      for (const topic of offsets) expect({ topic: topic.topic, committed: topic.partitions.some((p) => Number(p.offset) > 0) }).toEqual({ topic: topic.topic, committed: true });
    } finally {
      await admin.disconnect();
    }

    // While the app is down: a new user joins Engineering, alice leaves it, carol comes back, bob is deleted.
    ids['erin'] = await onelogin.provision('erin@example.com', 'Erin', 'Moe');
    await onelogin.addMembers(ids['engineering']!, ids['erin']!);
    await onelogin.removeMember(ids['engineering']!, ids['alice']!);
    await onelogin.put(ids['carol']!, 'carol@example.com', 'Carol', 'Ito', 'true');
    await onelogin.remove(ids['bob']!);
    deleted.push(ids['bob']!);

    app = await startDownstreamApp(appEnv());
    await waitForEqualTables(app.url, scim, roles.url, directoryId, deleted, (truth) => {
      expect(Object.keys(truth).sort()).toEqual(['alice@example.com', 'carol@example.com', 'erin@example.com']);
      expect(truth['alice@example.com']).toMatchObject({ roles: ['viewer'] });
      expect(truth['carol@example.com']).toMatchObject({ active: true, roles: ['editor'] });
      expect(truth['erin@example.com']).toMatchObject({ active: true, roles: ['admin'] });
    });
  }, 180_000);

  it('is unchanged when every event is delivered again (a new consumer group replaying the topics into the same table)', async () => {
    const { directoryId } = directory;
    const before = await appRows(app!.url, directoryId);
    await app!.stop();
    const replayGroup = uniqueId('downstream-app-replay');
    app = await startDownstreamApp(appEnv(replayGroup));
    // Wait until the replay group has consumed everything there is, then compare whole rows.
    const admin = new Kafka({ clientId: 'downstream-e2e', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const lag = await groupLag(admin, replayGroup);
        if (lag === 0) break;
        if (Date.now() > deadline) throw new Error(`replay group still ${lag} messages behind`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await admin.disconnect();
    }
    expect(await appRows(app.url, directoryId)).toEqual(before);
  }, 180_000);

  it('is repaired by a full-state resync after its table drifted, roles included', async () => {
    const { directoryId } = directory;
    // Drift, as a bug or a lost message would leave it: a user's roles and name changed behind its back.
    const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await db.connect();
    try {
      const tampered = await db.query(`UPDATE "${schema}".users SET roles = '{}', user_name = 'drifted' WHERE directory_id = $1 AND user_id = $2`, [directoryId, ids['erin']]);
      expect(tampered.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    const resync = await managementCall<{ resyncId: string }>(ingress.url, 'POST', `/directories/${directoryId}/resync`);
    expect(resync.status).toBe(202);
    await waitForEqualTables(app!.url, scim, roles.url, directoryId, deleted, (truth) => {
      expect(truth['erin@example.com']).toMatchObject({ active: true, roles: ['admin'] });
    });
  }, 180_000);
});

type Admin = ReturnType<Kafka['admin']>;

/** Messages on the app's topics that the group has not committed yet. */
async function groupLag(admin: Admin, group: string): Promise<number> {
  let lag = 0;
  for (const topic of [Topics.directoryEvents, Topics.roleEvents]) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const end of ends) {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      lag += Number(end.high) - Math.max(Number(at), 0);
    }
  }
  return lag;
}
