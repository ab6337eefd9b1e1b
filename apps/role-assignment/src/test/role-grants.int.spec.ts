import { parseEnvelope, Topics } from '@scimbridge/contracts';
import { requiredEnv, uniqueId } from '@scimbridge/testing';
import { Kafka, logLevel } from 'kafkajs';
import { DirectoryUnderTest, stackForSuite, type RoleEventSummary } from './role-assignment.test-support';

/*
 * Group-based role assignment end to end: OneLogin-shaped SCIM traffic through the real ingress,
 * scim.directory.events on the real Kafka, role-assignment's projection on the real PostgreSQL, and the
 * RoleAssigned / RoleRevoked that reach scim.role.events — exactly those, no others (see expectNext).
 */

const suite = stackForSuite();

describe('role events from group membership', () => {
  it('assigns on joining a mapped group, stays silent while a second group also grants it, revokes when the last one is left', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const jane = await d.user('jane@example.com');
    const [engineering, platform] = [await d.group('Engineering'), await d.group('Platform')];
    await d.mappings([
      { groupId: engineering, roles: ['editor'] },
      { groupId: platform, roles: ['editor'] },
    ]);

    await d.join(engineering, jane);
    await d.expectNext([['RoleAssigned', jane, 'editor', [engineering]]]);

    // A second group granting the same role: no event, but the grant now names both groups.
    await d.join(platform, jane);
    await d.expectNext([]);
    expect(await d.roleSummary(jane)).toEqual([`editor<-${[engineering, platform].sort().join(',')}`]);

    // Leaving one of them: still an editor, through the other.
    await d.leave(engineering, jane);
    await d.expectNext([]);
    expect(await d.roleSummary(jane)).toEqual([`editor<-${platform}`]);

    // Leaving the last: revoked, naming the group that granted it until now.
    await d.leave(platform, jane);
    await d.expectNext([['RoleRevoked', jane, 'editor', [platform]]]);
    expect(await d.roleSummary(jane)).toEqual([]);
  });

  it('revokes every role of a deactivated user and gives them back on reactivation', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const sam = await d.user('sam@example.com');
    const [admins, editors] = [await d.group('Admins'), await d.group('Editors')];
    await d.mappings([
      { groupId: admins, roles: ['admin'] },
      { groupId: editors, roles: ['editor', 'viewer'] },
    ]);
    await d.join(admins, sam);
    await d.join(editors, sam);
    await d.expectNext([
      ['RoleAssigned', sam, 'admin', [admins]],
      ['RoleAssigned', sam, 'editor', [editors]],
      ['RoleAssigned', sam, 'viewer', [editors]],
    ]);

    await d.setActive(sam, false);
    await d.expectNext([
      ['RoleRevoked', sam, 'admin', [admins]],
      ['RoleRevoked', sam, 'editor', [editors]],
      ['RoleRevoked', sam, 'viewer', [editors]],
    ]);
    expect((await d.rolesOf(sam)).body).toMatchObject({ active: false, roles: [] });

    await d.setActive(sam, true);
    await d.expectNext([
      ['RoleAssigned', sam, 'admin', [admins]],
      ['RoleAssigned', sam, 'editor', [editors]],
      ['RoleAssigned', sam, 'viewer', [editors]],
    ]);
  });

  it('revokes the roles a deleted group granted, and a deprovisioned user’s roles', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const [ann, bob] = [await d.user('ann@example.com'), await d.user('bob@example.com')];
    const [sales, staff] = [await d.group('Sales'), await d.group('Staff')];
    await d.mappings([
      { groupId: sales, roles: ['editor'] },
      { groupId: staff, roles: ['viewer'] },
    ]);
    await d.join(sales, ann, bob);
    await d.join(staff, ann);
    await d.expectNextInAnyOrder([
      ['RoleAssigned', ann, 'editor', [sales]],
      ['RoleAssigned', bob, 'editor', [sales]],
      ['RoleAssigned', ann, 'viewer', [staff]],
    ]);

    expect((await d.scim('DELETE', `/Groups/${sales}`)).status).toBe(204);
    await d.expectNextInAnyOrder([
      ['RoleRevoked', ann, 'editor', [sales]],
      ['RoleRevoked', bob, 'editor', [sales]],
    ]);

    // The ingress takes a deleted user out of each group first (GroupMembershipChanged), so the role goes
    // with that membership and names the group.
    expect((await d.scim('DELETE', `/Users/${ann}`)).status).toBe(204);
    await d.expectNext([['RoleRevoked', ann, 'viewer', [staff]]]);
    expect((await d.rolesOf(ann)).status).toBe(404);
  });
});

describe('role events from mapping changes', () => {
  it('assigns to every member when a group is mapped, and revokes from all when the mapping is removed', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const members = [await d.user('m1@example.com'), await d.user('m2@example.com'), await d.user('m3@example.com')];
    const outsider = await d.user('outsider@example.com');
    const support = await d.group('Support');
    await d.join(support, ...members);
    await d.expectNext([]);

    await d.mappings([{ groupId: support, roles: ['editor'] }]);
    await d.expectNextInAnyOrder(members.map((m): RoleEventSummary => ['RoleAssigned', m, 'editor', [support]]));

    // Adding a role to the group's mapping: only the new role is assigned.
    await d.mappings([{ groupId: support, roles: ['editor', 'viewer'] }]);
    await d.expectNextInAnyOrder(members.map((m): RoleEventSummary => ['RoleAssigned', m, 'viewer', [support]]));

    await d.mappings([]);
    await d.expectNextInAnyOrder(members.flatMap((m): RoleEventSummary[] => [['RoleRevoked', m, 'editor', [support]], ['RoleRevoked', m, 'viewer', [support]]]));
    expect(await d.roleSummary(outsider)).toEqual([]);

    // Every change is kept, newest first; re-sending the current set changes nothing and adds no history.
    await d.mappings([]);
    const history = await d.call<{ changes: { version: number; mappings: unknown[] }[] }>('GET', `/directories/${d.directoryId}/role-mappings/history`);
    expect(history.body.changes.map((c) => c.version)).toEqual([4, 3, 2, 1]);
    const mappingEvents = await suite.stack.mappingEvents.waitFor(d.directoryId, 4);
    expect(mappingEvents.map((e) => e.envelope.sequence)).toEqual(['1', '2', '3', '4']);
  });

  it('gives the default role to users no group grants a role to, and takes it away while a group does', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const [ann, bob] = [await d.user('ann@example.com'), await d.user('bob@example.com')];
    const admins = await d.group('Admins');
    await d.join(admins, bob);
    await d.expectNext([]);

    await d.mappings([{ groupId: admins, roles: ['admin'] }], { defaultRole: 'viewer' });
    await d.expectNextInAnyOrder([
      ['RoleAssigned', ann, 'viewer', []],
      ['RoleAssigned', bob, 'admin', [admins]],
    ]);
    expect((await d.rolesOf(ann)).body.roles).toEqual([expect.objectContaining({ role: 'viewer', source: 'default', viaGroups: [] })]);

    // A provisioned user with no group gets it at once.
    const cat = await d.user('cat@example.com');
    await d.expectNext([['RoleAssigned', cat, 'viewer', []]]);

    // Joining a mapped group replaces the default role; leaving it brings the default role back.
    await d.join(admins, ann);
    await d.expectNext([
      ['RoleRevoked', ann, 'viewer', []],
      ['RoleAssigned', ann, 'admin', [admins]],
    ]);
    await d.leave(admins, ann);
    await d.expectNext([
      ['RoleRevoked', ann, 'admin', [admins]],
      ['RoleAssigned', ann, 'viewer', []],
    ]);

    // A deprovisioned user's default role goes too, naming no group.
    const dan = await d.user('dan@example.com');
    await d.expectNext([['RoleAssigned', dan, 'viewer', []]]);
    expect((await d.scim('DELETE', `/Users/${dan}`)).status).toBe(204);
    await d.expectNext([['RoleRevoked', dan, 'viewer', []]]);

    // `everyone`: every active user holds it, whatever their groups.
    await d.mappings([{ groupId: admins, roles: ['admin'] }], { defaultRole: 'viewer', defaultRoleAppliesTo: 'everyone' });
    await d.expectNext([['RoleAssigned', bob, 'viewer', []]]);

    // No default role any more: revoked from everyone who held it through it.
    await d.mappings([{ groupId: admins, roles: ['admin'] }], { defaultRole: null });
    await d.expectNextInAnyOrder([
      ['RoleRevoked', ann, 'viewer', []],
      ['RoleRevoked', bob, 'viewer', []],
      ['RoleRevoked', cat, 'viewer', []],
    ]);
  });

  it('previews how many users would gain and lose each role, without changing anything', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const users = [await d.user('p1@example.com'), await d.user('p2@example.com')];
    const team = await d.group('Team');
    await d.join(team, ...users);
    await d.mappings([{ groupId: team, roles: ['viewer'] }]);
    await d.expectNextInAnyOrder(users.map((u): RoleEventSummary => ['RoleAssigned', u, 'viewer', [team]]));

    const preview = await d.call<{ roles: { role: string; gaining: number; losing: number }[] }>('POST', `/directories/${d.directoryId}/role-mappings/preview`, {
      mappings: [{ groupId: team, roles: ['editor'] }],
      defaultRole: 'admin',
    });
    expect(preview.status).toBe(200);
    // The sentinel user (in no other group) would get the default role too: 3 users in all.
    expect(preview.body.roles).toEqual(
      expect.arrayContaining([
        { role: 'editor', gaining: 2, losing: 0 },
        { role: 'viewer', gaining: 0, losing: 2 },
      ]),
    );
    expect(await d.roleSummary(users[0] as string)).toEqual([`viewer<-${team}`]);
    const current = await d.call<{ version: number }>('GET', `/directories/${d.directoryId}/role-mappings`);
    expect(current.body.version).toBe(2);
  });
});

describe('role-assignment management API', () => {
  it('validates mappings against the directory’s groups and the organization’s catalog, listing every problem', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const group = await d.group('Real');
    const bad = await d.call<{ message: string[] }>('PUT', `/directories/${d.directoryId}/role-mappings`, {
      mappings: [
        { groupId: group, roles: ['admin', 'superuser'] },
        { groupId: 'no-such-group', roles: ['editor'] },
        { groupId: group, roles: ['viewer'] },
      ],
      defaultRole: 'root',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual([
      `mappings[0].roles[1]: role "superuser" is not in the organization's roles catalog`,
      'mappings[1].groupId: group no-such-group is not a group of this directory',
      `mappings[2].groupId: group ${group} is already mapped in mappings[0]`,
      `defaultRole: role "root" is not in the organization's roles catalog`,
    ]);
    const shape = await d.call<{ message: string[] }>('PUT', `/directories/${d.directoryId}/role-mappings`, { mappings: [{ roles: 'admin' }], defaultRoleAppliesTo: 'some', extra: 1 });
    expect(shape.status).toBe(400);
    expect(shape.body.message).toEqual(
      expect.arrayContaining(['property extra should not exist', 'defaultRoleAppliesTo must be one of the following values: unassigned, everyone', 'mappings.0.groupId must be a string']),
    );
    // Nothing was stored by the refused requests.
    expect((await d.call<{ version: number }>('GET', `/directories/${d.directoryId}/role-mappings`)).body.version).toBe(1);
  });

  it('answers 404 for unknown directories, organizations and users, and 401/403 without the management key', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await d.call('GET', `/directories/${unknown}/role-mappings`)).status).toBe(404);
    expect((await d.call('PUT', `/directories/${unknown}/role-mappings`, { mappings: [] })).status).toBe(404);
    expect((await d.call('GET', `/directories/${d.directoryId}/users/no-such-user/roles`)).status).toBe(404);
    expect((await d.call('GET', `/organizations/${unknown}/roles`)).status).toBe(404);
    expect((await d.call('PUT', `/organizations/${unknown}/roles`, { roles: [] })).status).toBe(404);
    expect((await d.call('GET', `/directories/not-a-uuid/role-mappings`)).status).toBe(400);
    const noKey = await fetch(`${suite.stack.roles.url}/api/v1/directories/${d.directoryId}/role-mappings`);
    expect(noKey.status).toBe(401);
    const wrongKey = await fetch(`${suite.stack.roles.url}/api/v1/directories/${d.directoryId}/role-mappings`, { headers: { authorization: `Bearer ${'w'.repeat(40)}` } });
    expect(wrongKey.status).toBe(403);
  });

  it('keeps a catalog per organization, confirms organizations without a directory with the ingress, and refuses to drop a role still in use', async () => {
    const d = await DirectoryUnderTest.create(suite.stack, ['admin', 'editor']);
    const group = await d.group('Ops');
    await d.mappings([{ groupId: group, roles: ['admin'] }], { defaultRole: 'editor' });

    const dropped = await d.call<{ message: string[] }>('PUT', `/organizations/${d.directory.organizationId}/roles`, { roles: [{ key: 'sentinel', displayName: 'S' }] });
    expect(dropped.status).toBe(409);
    expect(dropped.body.message).toEqual([
      `role "admin" is still used (directory ${d.directoryId}: group ${group}); change the role mappings first`,
      `role "editor" is still used (directory ${d.directoryId}: default role); change the role mappings first`,
    ]);
    const duplicate = await d.call<{ message: string[] }>('PUT', `/organizations/${d.directory.organizationId}/roles`, { roles: [{ key: 'a', displayName: 'A' }, { key: 'a', displayName: 'B' }, { key: 'no spaces', displayName: '' }] });
    expect(duplicate.status).toBe(400);

    // An organization with no directory yet: known to the ingress, so its catalog can be set.
    const org = await fetch(`${suite.stack.ingress.url}/api/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.stack.roles.config.MANAGEMENT_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueId('fresh') }),
    });
    const orgId = ((await org.json()) as { id: string }).id;
    const put = await d.call<{ version: number; roles: { key: string }[] }>('PUT', `/organizations/${orgId}/roles`, {
      roles: [{ key: 'owner', displayName: 'Owner', description: 'Everything' }, { key: 'member', displayName: 'Member' }],
    });
    expect([put.status, put.body.version, put.body.roles.map((r) => r.key)]).toEqual([200, 1, ['owner', 'member']]);
    const again = await d.call<{ version: number }>('PUT', `/organizations/${orgId}/roles`, {
      roles: [{ key: 'owner', displayName: 'Owner', description: 'Everything' }, { key: 'member', displayName: 'Member' }],
    });
    expect(again.body.version).toBe(1);
    expect((await d.call<{ roles: unknown[] }>('GET', `/organizations/${orgId}/roles`)).body.roles).toEqual([
      { key: 'owner', displayName: 'Owner', description: 'Everything' },
      { key: 'member', displayName: 'Member', description: null },
    ]);
  });

  it('publishes contract-valid role events keyed by directory, each id once, in stream order per user', async () => {
    const d = await DirectoryUnderTest.create(suite.stack);
    const u = await d.user('ordered@example.com');
    const group = await d.group('Flip');
    await d.mappings([{ groupId: group, roles: ['editor'] }]);
    for (let i = 0; i < 3; i += 1) {
      await d.join(group, u);
      await d.leave(group, u);
    }
    const flips: RoleEventSummary[] = [0, 1, 2].flatMap((): RoleEventSummary[] => [['RoleAssigned', u, 'editor', [group]], ['RoleRevoked', u, 'editor', [group]]]);
    await d.expectNext(flips);
    expect(suite.stack.roleEvents.invalidMessages).toEqual([]);

    // Read the raw topic: keys are the directory id, ids unique, sequences 1..n for the user's stream.
    const kafka = new Kafka({ brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueId('raw-role-events') });
    const mine: { key: string; id: string; subject: string; sequence: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.roleEvents, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = parseEnvelope(message.value);
        if (parsed.ok && parsed.envelope.directoryid === d.directoryId) {
          mine.push({ key: String(message.key), id: parsed.envelope.id, subject: parsed.envelope.subject, sequence: parsed.envelope.sequence });
        }
      },
    });
    const deadline = Date.now() + 20_000;
    while (mine.length < d.all().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    expect(mine).toHaveLength(d.all().length);
    expect(new Set(mine.map((m) => m.key))).toEqual(new Set([d.directoryId]));
    expect(new Set(mine.map((m) => m.id)).size).toBe(mine.length);
    const forUser = mine.filter((m) => m.subject === `role_grant:${d.directoryId}:${u}`);
    expect(forUser.map((m) => m.sequence)).toEqual(['1', '2', '3', '4', '5', '6']);
  });
});
