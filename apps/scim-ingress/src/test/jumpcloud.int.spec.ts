import { createDirectory, ingressWithProbe, scimClient } from './ingress.test-support';
import {
  directorySetupEvents,
  ENTERPRISE_URN,
  expectDirectoryEvents,
  expectListResponse,
  expectNoPassword,
  expectScimError,
  GROUP_URN,
  memberIds,
  PATCH_OP,
  USER_URN,
} from './transcript.test-support';

/*
 * The JumpCloud flow of shared/idp/README.md (no transcript; its bodies vary) against the real ingress
 * on PostgreSQL + Kafka: the test connection that creates and deletes a user and a group, full PUTs for
 * updates, `active: false` before a separate DELETE, minimal `{value}` members, Azure-style member
 * removal and repeated adds — with exactly the events that reach scim.directory.events.
 */

const suite = ingressWithProbe();
const probe = suite.probe;

function jumpCloudUser(userName: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const [given = 'Test', family = 'User'] = userName.split('@')[0]?.split('.') ?? [];
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    userName,
    externalId: `jc-${userName}`,
    name: { givenName: given, familyName: family, formatted: `${given} ${family}` },
    displayName: `${given} ${family}`,
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    title: 'Engineer',
    [ENTERPRISE_URN]: { department: 'Engineering', employeeNumber: '42' },
    ...overrides,
  };
}

const patchOp = (...operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });

describe('JumpCloud', () => {
  it('test connection: creates a user and a group, then deletes both — and can do it again', async () => {
    const directory = await createDirectory(suite.ingress, 'jumpcloud');
    const scim = scimClient(directory);
    const expected = [...directorySetupEvents(directory, 'jumpcloud')];

    for (let round = 1; round <= 2; round += 1) {
      const user = await scim('POST', '/Users', jumpCloudUser('jc.connection-test@example.com'));
      expect(user.status).toBe(201);
      expectNoPassword(user);
      const userId = user.body['id'] as string;
      const group = await scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'JumpCloud Connection Test' });
      expect(group.status).toBe(201);
      const groupId = group.body['id'] as string;

      const userDeleted = await scim('DELETE', `/Users/${userId}`);
      expect(userDeleted.status).toBe(204);
      expect(userDeleted.text).toBe('');
      const groupDeleted = await scim('DELETE', `/Groups/${groupId}`);
      expect(groupDeleted.status).toBe(204);
      expectScimError(await scim('GET', `/Users/${userId}`), 404);
      expectScimError(await scim('GET', `/Groups/${groupId}`), 404);
      // Both names are free again: the next test connection creates them anew.
      expectListResponse((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "jc.connection-test@example.com"')}`)).body, { totalResults: 0 });
      expectListResponse((await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "JumpCloud Connection Test"')}`)).body, { totalResults: 0 });

      expected.push(
        ['UserProvisioned', { userId, userName: 'jc.connection-test@example.com', active: true }],
        ['GroupCreated', { groupId, displayName: 'JumpCloud Connection Test', memberIds: [] }],
        ['UserDeprovisioned', { userId, userName: 'jc.connection-test@example.com' }],
        ['GroupDeleted', { groupId, displayName: 'JumpCloud Connection Test' }],
      );
    }
    await expectDirectoryEvents(probe, directory, expected);
  }, 30_000);

  it('full PUT updates, minimal {value} members, repeated adds, Azure-style removal, active:false then DELETE', async () => {
    const directory = await createDirectory(suite.ingress, 'jumpcloud');
    const scim = scimClient(directory);
    const members = async (groupId: string) => memberIds((await scim('GET', `/Groups/${groupId}`)).body);

    const jane = (await scim('POST', '/Users', jumpCloudUser('jane.doe@example.com'))).body['id'] as string;
    const sam = (await scim('POST', '/Users', jumpCloudUser('sam.roe@example.com'))).body['id'] as string;

    // Groups with minimal {value} members, in the POST and in PATCH adds.
    const engineering = await scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Engineering', members: [{ value: jane }] });
    expect(engineering.status).toBe(201);
    const eng = engineering.body['id'] as string;
    expect(memberIds(engineering.body)).toEqual([jane]);
    const design = (await scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Design' })).body['id'] as string;

    const addSam = await scim('PATCH', `/Groups/${eng}`, patchOp({ op: 'add', path: 'members', value: [{ value: sam }] }));
    expect([200, 204]).toContain(addSam.status);
    expect(await members(eng)).toEqual([jane, sam].sort());
    // Repeated adds (all current members again): no-op.
    const repeated = await scim('PATCH', `/Groups/${eng}`, patchOp({ op: 'add', path: 'members', value: [{ value: jane }, { value: sam }] }));
    expect([200, 204]).toContain(repeated.status);
    expect((await scim('PATCH', `/Groups/${design}`, patchOp({ op: 'add', path: 'members', value: [{ value: jane }] }))).status).toBe(200);

    // Full PUT of a user: only what changed is reported; the same PUT again is a no-op.
    const promoted = jumpCloudUser('jane.doe@example.com', { title: 'Staff Engineer' });
    const put = await scim('PUT', `/Users/${jane}`, promoted);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: jane, title: 'Staff Engineer', active: true });
    expect(put.headers.get('etag')).toBe('W/"2"');
    const putAgain = await scim('PUT', `/Users/${jane}`, promoted);
    expect(putAgain.status).toBe(200);
    expect(putAgain.headers.get('etag')).toBe('W/"2"');

    // Full PUT of a group: unchanged → nothing; renamed with a smaller member set → both facts.
    expect((await scim('PUT', `/Groups/${eng}`, { schemas: [GROUP_URN], displayName: 'Engineering', members: [{ value: sam }, { value: jane }] })).status).toBe(200);
    const groupPut = await scim('PUT', `/Groups/${eng}`, { schemas: [GROUP_URN], displayName: 'Engineering Team', members: [{ value: jane }] });
    expect(groupPut.status).toBe(200);
    expect(groupPut.body).toMatchObject({ id: eng, displayName: 'Engineering Team' });
    expect(memberIds(groupPut.body)).toEqual([jane]);

    // Azure-style removal: path "members" with a value list removes those members only.
    await scim('PATCH', `/Groups/${design}`, patchOp({ op: 'add', path: 'members', value: [{ value: sam }] }));
    const azureRemove = await scim('PATCH', `/Groups/${design}`, patchOp({ op: 'remove', path: 'members', value: [{ value: sam }] }));
    expect([200, 204]).toContain(azureRemove.status);
    expect(await members(design)).toEqual([jane]);

    // Deprovisioning: the full user with active false, then a separate DELETE.
    const deactivated = await scim('PUT', `/Users/${jane}`, { ...promoted, active: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body['active']).toBe(false);
    const deleted = await scim('DELETE', `/Users/${jane}`);
    expect(deleted.status).toBe(204);
    expectScimError(await scim('GET', `/Users/${jane}`), 404);
    expect(await members(eng)).toEqual([]);
    expect(await members(design)).toEqual([]);
    // The deleted user is no user of this directory any more: adding it is a 400 invalidValue.
    expectScimError(await scim('PATCH', `/Groups/${eng}`, patchOp({ op: 'add', path: 'members', value: [{ value: jane }] })), 400, 'invalidValue');

    const received = await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'jumpcloud'),
      ['UserProvisioned', { userId: jane, userName: 'jane.doe@example.com', externalId: 'jc-jane.doe@example.com', givenName: 'jane', familyName: 'doe' }],
      ['UserProvisioned', { userId: sam, userName: 'sam.roe@example.com' }],
      ['GroupCreated', { groupId: eng, displayName: 'Engineering', memberIds: [jane] }],
      ['GroupCreated', { groupId: design, displayName: 'Design', memberIds: [] }],
      ['GroupMembershipChanged', { groupId: eng, added: [sam], removed: [] }],
      ['GroupMembershipChanged', { groupId: design, added: [jane], removed: [] }],
      ['UserUpdated', { userId: jane, changedAttributes: ['title'], active: true }],
      ['GroupUpdated', { groupId: eng, displayName: 'Engineering Team', changedAttributes: ['displayName'] }],
      ['GroupMembershipChanged', { groupId: eng, added: [], removed: [sam] }],
      ['GroupMembershipChanged', { groupId: design, added: [sam], removed: [] }],
      ['GroupMembershipChanged', { groupId: design, added: [], removed: [sam] }],
      ['UserDeactivated', { userId: jane, userName: 'jane.doe@example.com', externalId: 'jc-jane.doe@example.com' }],
      // DELETE: the user leaves each of its groups (in no particular order), then is deprovisioned.
      ['GroupMembershipChanged', { added: [], removed: [jane] }],
      ['GroupMembershipChanged', { added: [], removed: [jane] }],
      ['UserDeprovisioned', { userId: jane, userName: 'jane.doe@example.com' }],
    ]);
    const leftGroups = received.slice(-3, -1).map((r) => (r.event.data as { groupId: string }).groupId);
    expect(leftGroups.sort()).toEqual([eng, design].sort());
  }, 30_000);

  // RFC 7644 §3.5.1/§3.5.2: a successful PUT or PATCH answers 200 with "the entire resource", i.e. the
  // representation GET returns for the same version — including the read-only `groups` (RFC 7643 §4.1.2,
  // returned by default). JumpCloud deactivates a user who is still in groups with a full PUT.
  it('PUT and PATCH of a user in groups answer the whole user, with its groups, as GET does', async () => {
    const directory = await createDirectory(suite.ingress, 'jumpcloud');
    const scim = scimClient(directory);
    const body = jumpCloudUser('jane.doe@example.com');
    const jane = (await scim('POST', '/Users', body)).body['id'] as string;
    const eng = (await scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Engineering', members: [{ value: jane }] })).body['id'] as string;
    const expectedGroups = [expect.objectContaining({ value: eng, display: 'Engineering' })];
    expect((await scim('GET', `/Users/${jane}`)).body['groups']).toEqual(expectedGroups);

    const put = await scim('PUT', `/Users/${jane}`, { ...body, active: false });
    expect(put.status).toBe(200);
    const read = await scim('GET', `/Users/${jane}`);
    expect(put.headers.get('etag')).toBe(read.headers.get('etag'));
    expect(put.body['groups']).toEqual(expectedGroups);
    const patch = await scim('PATCH', `/Users/${jane}`, patchOp({ op: 'replace', path: 'active', value: true }));
    expect(patch.status).toBe(200);
    expect(patch.body['groups']).toEqual(expectedGroups);
  }, 30_000);
});
