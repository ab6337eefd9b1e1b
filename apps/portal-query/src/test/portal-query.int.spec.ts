import { NotFoundException } from '@nestjs/common';
import { createServicePool } from '@scimbridge/service-kit';
import { managementCall, requiredEnv, startServiceProcess, TEST_MANAGEMENT_KEY, createTestDirectoryIn } from '@scimbridge/testing';
import { DirectoryAccessService } from '../app/access/directory-access.service';
import type { DirectoryOverviewView } from '../app/directory-overview/directory-overview.service';
import type { EventLogPage } from '../app/event-log/event-log.query';
import type { GroupView } from '../app/groups-tab/groups.query';
import { encodePosition } from '../app/read-model/projection-position';
import type { UserDetailView, UserSummaryView } from '../app/users-tab/users.query';
import { ENTERPRISE_URN, eventually, PortalDirectory, stackForSuite } from './portal-query.test-support';

/*
 * SCIM traffic through the real ingress → Kafka → portal-query's read models → its query API, checked
 * as the portal sees it: overview, Users tab (search, filters, sort, keyset pages, totals), Groups tab,
 * members, event log with the SCIM request behind each event, read-your-writes, and authorisation.
 */

const suite = stackForSuite();

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total: number;
  totalCapped: boolean;
  position: string;
}

type Users = Page<UserSummaryView>;

describe('portal-query over real SCIM traffic', () => {
  let d: PortalDirectory;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    d = await PortalDirectory.create(suite.stack);
  });

  it('shows a new directory as waiting for its first request, with nothing synced', async () => {
    const overview = await eventually(() => d.get<DirectoryOverviewView>(''), (r) => r.status === 200);
    expect(overview.body).toMatchObject({
      id: d.id,
      organizationId: d.directory.organizationId,
      provider: 'onelogin',
      enabled: true,
      status: 'waiting_for_first_request',
      counts: { users: 0, activeUsers: 0, inactiveUsers: 0, groups: 0 },
      firstSyncAt: null,
      lastSyncAt: null,
      lastRequest: null,
      tokenLastUsedAt: null,
      ingress: 'ok',
    });
    expect(overview.body.lastEvent?.type).toMatch(/^Directory/);
  });

  it('answers the Users, Groups and overview questions from what the IdP sent', async () => {
    ids['ada'] = await d.user('ada.lovelace@example.com', {
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      displayName: 'Ada Lovelace',
      externalId: 'okta-ada',
      title: 'Countess',
      [ENTERPRISE_URN]: { department: 'Research' },
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_URN],
    });
    ids['bob'] = await d.user('bob@example.com', { name: { givenName: 'Bob', familyName: 'Builder' }, displayName: 'Bob Builder' });
    ids['cy'] = await d.user('cy@corp.example.org', { name: { givenName: 'Cy', familyName: 'Young' }, displayName: 'Cy Young', active: false });
    ids['eng'] = await d.group('Engineering', [ids['ada'] as string, ids['bob'] as string]);
    ids['sales'] = await d.group('Sales');
    await d.join(ids['sales'] as string, ids['cy'] as string);
    await d.patchUser(ids['bob'] as string, { op: 'replace', path: 'displayName', value: 'Robert Builder' });

    const overview = await eventually(
      () => d.get<DirectoryOverviewView>(''),
      (r) => r.body.counts?.users === 3 && r.body.counts.groups === 2 && r.body.tokenLastUsedAt !== null,
    );
    expect(overview.body).toMatchObject({ status: 'connected', counts: { users: 3, activeUsers: 2, inactiveUsers: 1, groups: 2 }, ingress: 'ok' });
    expect(overview.body.lastSyncAt).not.toBeNull();
    expect(overview.body.lastRequest).toMatchObject({ method: 'PATCH', status: 200 });

    const users = await eventually(() => d.get<Users>('/users'), (r) => r.body.items?.some((u) => u.displayName === 'Robert Builder') === true);
    expect(users.status).toBe(200);
    expect(users.body.total).toBe(3);
    expect(users.body.items.map((u) => u.userName)).toEqual(['ada.lovelace@example.com', 'bob@example.com', 'cy@corp.example.org']);
    expect(users.body.items[0]).toMatchObject({
      id: ids['ada'],
      externalId: 'okta-ada',
      displayName: 'Ada Lovelace',
      givenName: 'Ada',
      familyName: 'Lovelace',
      primaryEmail: 'ada.lovelace@example.com',
      active: true,
      status: 'active',
      department: 'Research',
      title: 'Countess',
      groups: [{ id: ids['eng'], displayName: 'Engineering' }],
      roles: [],
      lastEvent: { type: 'UserProvisioned' },
    });
    expect(users.body.items[1]).toMatchObject({ displayName: 'Robert Builder', lastEvent: { type: 'UserUpdated' } });
    expect(users.body.items[2]).toMatchObject({ status: 'inactive', groups: [{ id: ids['sales'], displayName: 'Sales' }] });

    const detail = await d.get<UserDetailView>(`/users/${ids['ada']}`);
    expect(detail.status).toBe(200);
    expect(detail.body.attributes).toMatchObject({ userName: 'ada.lovelace@example.com', title: 'Countess', [ENTERPRISE_URN]: { department: 'Research' } });
    expect(detail.body.emails).toEqual([{ value: 'ada.lovelace@example.com', type: 'work', primary: true }]);
    expect((await d.get(`/users/not-a-user`)).status).toBe(404);

    const groups = await d.get<Page<GroupView>>('/groups');
    expect(groups.body.total).toBe(2);
    expect(groups.body.items.map((g) => [g.displayName, g.memberCount, g.roles])).toEqual([
      ['Engineering', 2, []],
      ['Sales', 1, []],
    ]);
    const members = await d.get<Users & { group: GroupView }>(`/groups/${ids['eng']}/members`);
    expect(members.body.group.displayName).toBe('Engineering');
    expect(members.body.total).toBe(2);
    expect(members.body.items.map((u) => u.id)).toEqual([ids['ada'], ids['bob']]);
    expect((await d.get(`/groups/no-such-group/members`)).status).toBe(404);
  });

  it('searches case-insensitively by substring, filters by status and group, sorts, and pages by cursor with totals', async () => {
    const names = async (query: string): Promise<string[]> => {
      const r = await d.get<Users>(`/users?${query}`);
      expect(r.status).toBe(200);
      return r.body.items.map((u) => u.userName);
    };
    expect(await names('search=LOVE')).toEqual(['ada.lovelace@example.com']);
    expect(await names('search=corp.example')).toEqual(['cy@corp.example.org']);
    expect(await names('search=robert%20b')).toEqual(['bob@example.com']);
    expect(await names('search=young')).toEqual(['cy@corp.example.org']);
    // LIKE's wildcards are literal characters in a search.
    expect(await names('search=%25')).toEqual([]);
    expect(await names('search=_')).toEqual([]);
    expect(await names('status=inactive')).toEqual(['cy@corp.example.org']);
    expect(await names('status=active&sort=userName&order=desc')).toEqual(['bob@example.com', 'ada.lovelace@example.com']);
    expect(await names(`groupId=${ids['eng']}&status=active&search=bob`)).toEqual(['bob@example.com']);
    expect(await names('sort=displayName')).toEqual(['ada.lovelace@example.com', 'cy@corp.example.org', 'bob@example.com']);
    expect(await names('sort=createdAt&order=desc')).toEqual(['cy@corp.example.org', 'bob@example.com', 'ada.lovelace@example.com']);
    expect(await names('sort=updatedAt&order=desc')).toEqual(['bob@example.com', 'cy@corp.example.org', 'ada.lovelace@example.com']);
    const searched = await d.get<Users>('/users?search=example');
    expect([searched.body.total, searched.body.totalCapped]).toEqual([3, false]);
    const inGroup = await d.get<Users>(`/users?groupId=${ids['eng']}`);
    expect(inGroup.body.total).toBe(2);
    expect((await d.get(`/users?groupId=no-such-group`)).status).toBe(404);

    for (const sort of ['userName', 'displayName', 'createdAt', 'updatedAt']) {
      for (const order of ['asc', 'desc']) {
        const all = await names(`sort=${sort}&order=${order}`);
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: Users } = await d.get<Users>(`/users?sort=${sort}&order=${order}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.body.total).toBe(3);
          paged.push(...page.body.items.map((u) => u.userName));
          cursor = page.body.nextCursor;
        } while (cursor !== null);
        expect({ sort, order, paged }).toEqual({ sort, order, paged: all });
      }
    }
    const first = await d.get<Users>('/users?limit=2&sort=userName');
    // A cursor belongs to its sort.
    const wrong = await d.get<{ message: string[] }>(`/users?limit=2&sort=createdAt&cursor=${first.body.nextCursor}`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toEqual([expect.stringContaining('cursor was made for sort userName:asc')]);

    const groups = await d.get<Page<GroupView>>('/groups?search=GIN');
    expect(groups.body.items.map((g) => g.displayName)).toEqual(['Engineering']);
    expect(groups.body.total).toBe(1);
    const g1 = await d.get<Page<GroupView>>('/groups?limit=1');
    const g2 = await d.get<Page<GroupView>>(`/groups?limit=1&cursor=${g1.body.nextCursor}`);
    expect([...g1.body.items, ...g2.body.items].map((g) => g.displayName)).toEqual(['Engineering', 'Sales']);
    expect(g2.body.nextCursor).toBeNull();
  });

  it('refuses bad query parameters with 400 naming every problem', async () => {
    const bad = await d.get<{ statusCode: number; message: string[] }>('/users?limit=0&status=gone&sort=age&order=up&extra=1&waitMs=-1');
    expect(bad.status).toBe(400);
    const text = bad.body.message.join('\n');
    for (const field of ['limit', 'status', 'sort', 'order', 'extra', 'waitMs']) expect(text).toContain(field);
    expect((await d.get('/users?cursor=garbage')).status).toBe(400);
    expect((await d.get('/events?type=UserProvisioned,NotAnEvent')).status).toBe(400);
    expect((await d.get('/users?minPosition=nonsense')).status).toBe(400);
    expect((await managementCall(suite.stack.portal.url, 'GET', '/directories/not-a-uuid/users')).status).toBe(400);
  });

  it('lists the events newest first with the SCIM request that caused each, filtered by type and paged', async () => {
    const log = await d.get<EventLogPage & { position: string }>('/events?limit=200');
    expect(log.status).toBe(200);
    expect(log.body.requests).toBe('ok');
    const times = log.body.items.map((e) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    const types = log.body.items.map((e) => e.type);
    for (const t of ['DirectoryCreated', 'DirectoryTokenIssued', 'UserProvisioned', 'UserUpdated', 'GroupCreated', 'GroupMembershipChanged']) expect(types).toContain(t);
    const provisioned = log.body.items.find((e) => e.type === 'UserProvisioned' && (e.data as { userId: string }).userId === ids['ada']);
    expect(provisioned?.request).toMatchObject({ method: 'POST', path: '/Users', status: 201 });
    const updated = log.body.items.find((e) => e.type === 'UserUpdated');
    expect(updated?.request).toMatchObject({ method: 'PATCH', path: `/Users/${ids['bob']}` });
    // DirectoryCreated came over the management API, not SCIM.
    expect(log.body.items.find((e) => e.type === 'DirectoryCreated')?.request).toBeNull();

    const onlyGroups = await d.get<EventLogPage>('/events?type=GroupCreated,GroupMembershipChanged&withRequests=false');
    expect(onlyGroups.body.requests).toBe('skipped');
    expect(new Set(onlyGroups.body.items.map((e) => e.type))).toEqual(new Set(['GroupCreated', 'GroupMembershipChanged']));
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: EventLogPage } = await d.get<EventLogPage>(`/events?limit=2&withRequests=false${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.body.items.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(log.body.items.map((e) => e.id));
  });

  it('carries its position on every answer and waits, bounded, for a position asked for', async () => {
    const answer = await d.get<Users>('/users');
    const position = answer.headers.get('x-projection-position');
    expect(position).toBe(answer.body.position);
    expect((await d.get(`/users?minPosition=${position}`)).status).toBe(200);
    // A position far beyond anything published: not reached within the wait → 503, not a stale 200.
    const beyond = encodePosition(new Map([['scim.directory.events#0', 10n ** 15n]]));
    const started = Date.now();
    const refused = await d.get<{ position: string }>(`/users?minPosition=${beyond}&waitMs=300`);
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(refused.headers.get('retry-after')).toBe('1');

    // A write, then a read that waits for the position at which the write was published: it sees it.
    const before = await d.get<Users>('/users');
    const endsBefore = await topicEnds();
    await d.user('dora@example.com');
    const published = await eventually(topicEnds, (ends) => [...ends].some(([k, v]) => k.startsWith('scim.directory.events#') && v > (endsBefore.get(k) ?? 0n)));
    const after = await d.get<Users>(`/users?minPosition=${encodePosition(published)}&waitMs=10000`);
    expect(after.status).toBe(200);
    expect(after.body.total).toBe(before.body.total + 1);
    expect(after.body.items.map((u) => u.userName)).toContain('dora@example.com');
  });

  it('shows roles from scim.role.events and mapped roles from scim.role-mapping.events (role-assignment running)', async () => {
    const roles = await startServiceProcess('role-assignment', { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: suite.stack.ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
    try {
      const catalog = await managementCall(roles.url, 'PUT', `/organizations/${d.directory.organizationId}/roles`, { roles: [{ key: 'admin', displayName: 'Admin' }, { key: 'viewer', displayName: 'Viewer' }] });
      expect(catalog.status).toBe(200);
      const mapping = await eventually(
        () => managementCall(roles.url, 'PUT', `/directories/${d.id}/role-mappings`, { mappings: [{ groupId: ids['eng'], roles: ['admin'] }], defaultRole: 'viewer' }),
        (r) => r.status === 200,
        30_000,
      );
      expect(mapping.status).toBe(200);
      const users = await eventually(
        () => d.get<Users>('/users?status=active'),
        (r) => r.body.items?.length === 3 && r.body.items.every((u) => u.roles.length > 0),
        30_000,
      );
      const byName = Object.fromEntries(users.body.items.map((u) => [u.userName, u.roles]));
      expect(byName['ada.lovelace@example.com']).toEqual([{ role: 'admin', viaGroupIds: [ids['eng']] }]);
      expect(byName['dora@example.com']).toEqual([{ role: 'viewer', viaGroupIds: [] }]);
      const groups = await eventually(() => d.get<Page<GroupView>>('/groups'), (r) => r.body.items?.[0]?.roles.length === 1);
      expect(groups.body.items.map((g) => [g.displayName, g.roles])).toEqual([
        ['Engineering', ['admin']],
        ['Sales', []],
      ]);
      const overview = await d.get<DirectoryOverviewView>('');
      expect(overview.body.defaultRole).toEqual({ role: 'viewer', appliesTo: 'unassigned' });
    } finally {
      await roles.stop();
    }
  });

  it('keeps counts exact through leave, delete and deactivation, and shows a disabled directory as disabled', async () => {
    await d.leave(ids['eng'] as string, ids['bob'] as string);
    expect((await d.scim('DELETE', `/Users/${ids['ada']}`)).status).toBe(204);
    await d.patchUser(ids['cy'] as string, { op: 'replace', path: 'active', value: true });
    expect((await d.scim('DELETE', `/Groups/${ids['sales']}`)).status).toBe(204);
    const overview = await eventually(() => d.get<DirectoryOverviewView>(''), (r) => r.body.counts?.groups === 1 && r.body.counts.users === 3 && r.body.counts.inactiveUsers === 0);
    expect(overview.body.counts).toEqual({ users: 3, activeUsers: 3, inactiveUsers: 0, groups: 1 });
    const eng = await d.get<GroupView>(`/groups/${ids['eng']}`);
    expect(eng.body.memberCount).toBe(0);
    expect((await d.get(`/users/${ids['ada']}`)).status).toBe(404);

    const disabled = await managementCall(suite.stack.ingress.url, 'POST', `/directories/${d.id}/disable`);
    expect(disabled.status).toBe(200);
    const after = await eventually(() => d.get<DirectoryOverviewView>(''), (r) => r.body.status === 'disabled');
    expect(after.body.enabled).toBe(false);
  });

  it('hides one organization from another: unknown or foreign directories are 404', async () => {
    const other = await PortalDirectory.create(suite.stack);
    await eventually(() => other.get(''), (r) => r.status === 200);
    const sibling = await createTestDirectoryIn(suite.stack.ingress.url, d.directory.organizationId);
    const access = suite.stack.portal.app.get(DirectoryAccessService);
    const orgA = { kind: 'organization', organizationId: d.directory.organizationId } as const;
    await expect(access.requireDirectory(orgA, other.id)).rejects.toBeInstanceOf(NotFoundException);
    await expect(access.requireDirectory(orgA, d.id)).resolves.toMatchObject({ directoryId: d.id });
    await expect(access.directoriesOf(orgA, other.directory.organizationId)).rejects.toBeInstanceOf(NotFoundException);
    const listed = await eventually(() => access.directoriesOf(orgA, d.directory.organizationId), (l) => l.length === 2);
    expect(listed.map((x) => x.directoryId).sort()).toEqual([d.id, sibling.directoryId].sort());

    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of ['', '/users', '/groups', '/events', '/users/x', '/groups/x/members']) {
      expect({ path, status: (await managementCall(suite.stack.portal.url, 'GET', `/directories/${unknown}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await managementCall(suite.stack.portal.url, 'GET', `/organizations/${unknown}/directory-overviews`)).status).toBe(404);
    const list = await managementCall<{ directories: DirectoryOverviewView[] }>(suite.stack.portal.url, 'GET', `/organizations/${d.directory.organizationId}/directory-overviews`);
    expect(list.status).toBe(200);
    expect(list.body.directories.map((x) => x.id).sort()).toEqual([d.id, sibling.directoryId].sort());
    expect((await managementCall(suite.stack.portal.url, 'GET', `/directories/${d.id}/users`, undefined, 'wrong-key-'.repeat(4))).status).toBe(403);
    const noAuth = await fetch(`${suite.stack.portal.url}/api/v1/directories/${d.id}/users`);
    expect(noAuth.status).toBe(401);

    // Over HTTP with a real portal session of organization A (link made by the ingress, exchanged for its cookie).
    const link = await managementCall<{ url: string }>(suite.stack.ingress.url, 'POST', `/organizations/${d.directory.organizationId}/portal-links`, {});
    const opened = await fetch(`${suite.stack.ingress.url}/api/v1/portal-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(link.body.url).hash.replace(/^#token=/, '') }),
    });
    expect(opened.status).toBe(201);
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const asPortal = (path: string): Promise<Response> => fetch(`${suite.stack.portal.url}/api/v1${path}`, { headers: { cookie } });
    for (const path of ['', '/users', '/groups', '/events']) {
      expect({ path, own: (await asPortal(`/directories/${d.id}${path}`)).status, foreign: (await asPortal(`/directories/${other.id}${path}`)).status }).toEqual({ path, own: 200, foreign: 404 });
    }
    expect((await asPortal(`/organizations/${d.directory.organizationId}/directory-overviews`)).status).toBe(200);
    expect((await asPortal(`/organizations/${other.directory.organizationId}/directory-overviews`)).status).toBe(404);
    // Lag is for operators: management key only.
    expect((await asPortal('/projections/lag')).status).toBe(401);
  });

  it('forgets a deleted directory: 404 everywhere, not listed, and its role events arriving after the deletion do not bring it back', async () => {
    const gone = await PortalDirectory.create(suite.stack);
    const roles = await startServiceProcess('role-assignment', { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: suite.stack.ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
    try {
      const ada = await gone.user('ada@gone.example');
      await gone.user('bob@gone.example');
      const eng = await gone.group('Engineering', [ada]);
      const orgId = gone.directory.organizationId;
      expect((await managementCall(roles.url, 'PUT', `/organizations/${orgId}/roles`, { roles: [{ key: 'admin', displayName: 'Admin' }] })).status).toBe(200);
      const mapped = await eventually(
        () => managementCall(roles.url, 'PUT', `/directories/${gone.id}/role-mappings`, { mappings: [{ groupId: eng, roles: ['admin'] }] }),
        (r) => r.status === 200,
        30_000,
      );
      expect(mapped.status).toBe(200);
      await eventually(() => gone.get<Users>(`/users/${ada}`), (r) => (r.body as unknown as UserDetailView).roles?.length === 1, 30_000);

      expect((await managementCall(suite.stack.ingress.url, 'DELETE', `/directories/${gone.id}`)).status).toBe(202);
      await eventually(() => gone.get(''), (r) => r.status === 404, 30_000);
      for (const path of ['/users', `/users/${ada}`, '/groups', `/groups/${eng}/members`, '/events']) {
        expect([path, (await gone.get(path)).status]).toEqual([path, 404]);
      }
      expect((await gone.query<{ directories: unknown[] }>(`/organizations/${orgId}/directory-overviews`)).body.directories).toEqual([]);
      // role-assignment forgets it too; its RoleRevoked (after the user's deprovisioning) came or comes on another topic.
      await eventually(() => managementCall(roles.url, 'GET', `/directories/${gone.id}/role-mappings`), (r) => r.status === 404, 30_000);
      const lag = await eventually(() => managementCall<{ total: number }>(suite.stack.portal.url, 'GET', '/projections/lag'), (r) => r.body.total === 0);
      expect(lag.body.total).toBe(0);
      expect((await gone.get('')).status).toBe(404);
      const pool = createServicePool('portal-query', requiredEnv('DATABASE_URL'), 1, () => undefined);
      const rows = await pool.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM portal_query.users WHERE directory_id = $1) + (SELECT count(*) FROM portal_query.user_roles WHERE directory_id = $1)
              + (SELECT count(*) FROM portal_query.event_log WHERE directory_id = $1) AS n`,
        [gone.id],
      );
      await pool.end();
      expect(rows.rows[0]?.n).toBe('0');
    } finally {
      await roles.stop();
    }
  });

  it('reports consumer lag (endpoint and metric)', async () => {
    const lag = await eventually(() => managementCall<{ total: number; generation: number; partitions: unknown[] }>(suite.stack.portal.url, 'GET', '/projections/lag'), (r) => r.body.total === 0);
    expect(lag.body.partitions.length).toBeGreaterThanOrEqual(3);
    const metrics = await fetch(`${suite.stack.portal.url}/metrics`);
    const text = await metrics.text();
    expect(text).toMatch(/^portal_query_projection_lag_total 0$/m);
    expect(text).toMatch(/portal_query_projection_lag_messages\{topic="scim.directory.events",partition="0"\} \d+/);
  });
});

/** The next offset of every partition of the three topics: "everything published so far". */
async function topicEnds(): Promise<Map<string, bigint>> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of ['scim.directory.events', 'scim.role-mapping.events', 'scim.role.events']) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}#${p.partition}`, BigInt(p.high));
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}
