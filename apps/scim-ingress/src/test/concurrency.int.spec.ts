import { createDirectory, ingressWithProbe, scimClient } from './ingress.test-support';

/*
 * One IdP firing many PATCHes at the same group at once (Okta and Entra ID do): every change applies,
 * none is lost, and the events add up to the final membership. A user deleted while group PATCHes
 * run never stays a member.
 */

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const suite = ingressWithProbe({ DATABASE_POOL_SIZE: '20' });
const probe = suite.probe;

it('concurrent membership PATCHes to one group all apply, and the events add up to the final membership', async () => {
  const directory = await createDirectory(suite.ingress, 'okta');
  const scim = scimClient(directory);
  const users = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => String((await scim('POST', '/Users', { userName: `member${i}@example.com` })).body['id'])),
  );
  const groupId = String((await scim('POST', '/Groups', { displayName: 'Everyone', members: [] })).body['id']);

  // 40 adds at once, then remove every fourth user at once while re-adding a few members (idempotent).
  const adds = await Promise.all(users.map((id) => scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })));
  expect(adds.map((r) => r.status)).toEqual(users.map(() => 200));
  const removed = users.filter((_, i) => i % 4 === 0);
  const mixed = await Promise.all([
    ...removed.map((id) => scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] })),
    ...users.filter((_, i) => i % 4 !== 0).slice(0, 6).map((id) => scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })),
  ]);
  expect(mixed.every((r) => r.status === 200)).toBe(true);

  const expected = users.filter((id) => !removed.includes(id)).sort();
  const group = await scim('GET', `/Groups/${groupId}`);
  expect(((group.body['members'] as { value: string }[]) ?? []).map((m) => m.value).sort()).toEqual(expected);

  // Replaying the membership events gives the same set: nothing lost, nothing duplicated.
  const setupEvents = 2 + users.length + 1;
  const received = await probe.waitFor(directory.directoryId, setupEvents + users.length + removed.length);
  const members = new Set<string>();
  for (const { event } of received) {
    if (event.type !== 'GroupMembershipChanged') continue;
    for (const id of event.data.added) {
      expect(members.has(id)).toBe(false);
      members.add(id);
    }
    for (const id of event.data.removed) {
      expect(members.has(id)).toBe(true);
      members.delete(id);
    }
  }
  expect([...members].sort()).toEqual(expected);
  const settled = await probe.settled(directory.directoryId);
  expect(settled.filter((e) => e.event.type === 'GroupMembershipChanged')).toHaveLength(users.length + removed.length);
  // And on Kafka the group's stream is in version order, without gaps.
  const groupEvents = settled.filter((e) => e.event.type.startsWith('Group'));
  expect(groupEvents.map((e) => Number(e.envelope.sequence))).toEqual(groupEvents.map((_, i) => i + 1));
}, 60_000);

it('a user deleted while PATCHes add it to groups never stays a member', async () => {
  const directory = await createDirectory(suite.ingress, 'entra-id');
  const scim = scimClient(directory);
  const userId = String((await scim('POST', '/Users', { userName: 'leaver@example.com' })).body['id']);
  const groups = await Promise.all(Array.from({ length: 6 }, async (_, i) => String((await scim('POST', '/Groups', { displayName: `G${i}` })).body['id'])));
  const results = await Promise.all([
    ...groups.map((g) => scim('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }] })),
    scim('DELETE', `/Users/${userId}`),
  ]);
  // Each PATCH either ran before the delete (200, then the delete removed the member) or after it (400: not a user).
  for (const r of results.slice(0, -1)) expect([200, 400]).toContain(r.status);
  expect(results[results.length - 1]?.status).toBe(204);
  for (const g of groups) {
    const group = await scim('GET', `/Groups/${g}`);
    expect(((group.body['members'] as { value: string }[] | undefined) ?? []).map((m) => m.value)).not.toContain(userId);
  }
}, 60_000);

it('concurrent PATCHes to one user all apply: each writes on the version it read or retries under the row lock', async () => {
  const directory = await createDirectory(suite.ingress, 'okta');
  const scim = scimClient(directory);
  const userId = String((await scim('POST', '/Users', { userName: 'busy@example.com', active: true })).body['id']);
  const numbers = Array.from({ length: 16 }, (_, i) => `+1 555 0100 ${String(i).padStart(2, '0')}`);
  const patches = await Promise.all(
    numbers.map((value) => scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'phoneNumbers', value: [{ value, type: 'work' }] }] })),
  );
  expect(patches.map((r) => r.status)).toEqual(numbers.map(() => 200));
  const user = await scim('GET', `/Users/${userId}`);
  expect(((user.body['phoneNumbers'] as { value: string }[]) ?? []).map((p) => p.value).sort()).toEqual([...numbers].sort());
  expect((user.body['meta'] as { version: string }).version).toBe('W/"17"');

  // One UserUpdated per PATCH, on consecutive stream versions after UserProvisioned.
  const settled = await probe.settled(directory.directoryId);
  const userEvents = settled.filter((e) => e.event.type.startsWith('User'));
  expect(userEvents.map((e) => e.event.type)).toEqual(['UserProvisioned', ...numbers.map(() => 'UserUpdated')]);
  expect(userEvents.map((e) => Number(e.envelope.sequence))).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
}, 60_000);

it('users are deleted while their group is PATCHed without pause, and the group stream stays in order', async () => {
  const directory = await createDirectory(suite.ingress, 'okta');
  const scim = scimClient(directory);
  const members = await Promise.all(Array.from({ length: 4 }, async (_, i) => String((await scim('POST', '/Users', { userName: `leaving${i}@example.com` })).body['id'])));
  const churn = await Promise.all(Array.from({ length: 8 }, async (_, i) => String((await scim('POST', '/Users', { userName: `churn${i}@example.com` })).body['id'])));
  const groupId = String((await scim('POST', '/Groups', { displayName: 'Busy', members: members.map((value) => ({ value })) })).body['id']);

  // Eight writers add and remove their own member in a loop while the four members are deleted one by one.
  let deleting = true;
  const patchStatuses: number[] = [];
  const writers = churn.map(async (userId) => {
    for (let add = true; deleting; add = !add) {
      const op = add ? { op: 'add', path: 'members', value: [{ value: userId }] } : { op: 'remove', path: `members[value eq "${userId}"]` };
      patchStatuses.push((await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [op] })).status);
    }
  });
  const deletes: number[] = [];
  for (const userId of members) deletes.push((await scim('DELETE', `/Users/${userId}`)).status);
  deleting = false;
  await Promise.all(writers);

  expect(deletes).toEqual([204, 204, 204, 204]);
  expect(patchStatuses.length).toBeGreaterThan(8);
  expect(patchStatuses.every((s) => s === 200)).toBe(true);
  const group = await scim('GET', `/Groups/${groupId}`);
  const left = ((group.body['members'] as { value: string }[] | undefined) ?? []).map((m) => m.value);
  for (const userId of members) expect(left).not.toContain(userId);
  const settled = await probe.settled(directory.directoryId);
  const groupEvents = settled.filter((e) => e.event.type.startsWith('Group'));
  expect(groupEvents.map((e) => Number(e.envelope.sequence))).toEqual(groupEvents.map((_, i) => i + 1));
}, 90_000);
