import { createDirectory, ingressWithProbe, scimClient } from './ingress.test-support';

/*
 * The OneLogin flow of ../shared/idp/README.md against the real ingress on PostgreSQL + Kafka: every
 * response as OneLogin expects it, and exactly the events that reach scim.directory.events.
 */

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const suite = ingressWithProbe();
const probe = suite.probe;

/** A user body as OneLogin's admin-editable template produces it, with the habits seen in the wild. */
function oneLoginUser(userName: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    userName,
    externalId: `ol-${userName}`,
    name: { givenName: 'Jane', familyName: 'Doe', formatted: '' },
    emails: { value: userName, type: 'work', primary: true },
    active: 'true',
    title: '',
    [ENTERPRISE_URN]: { department: 'Sales', manager: { managerId: '', displayName: '' } },
    customAppField: 'kept beside the resource',
    ...overrides,
  };
}

describe('OneLogin provisioning flow', () => {
  it('connection test, lookup→create, GET, PUT update, suspend, group push, membership forms, delete — with the exact events', async () => {
    const directory = await createDirectory(suite.ingress, 'onelogin');
    const scim = scimClient(directory);
    const json = { accept: 'application/json' };

    // "Enable": OneLogin probes with a name that does not exist.
    const probeLookup = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "onelogin-connection-test-7f3a"')}`, undefined, json);
    expect(probeLookup.status).toBe(200);
    expect(probeLookup.headers.get('content-type')).toMatch(/^application\/json/);
    expect(probeLookup.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    // Provisioning: lookup, then create.
    const lookup = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "Jane.Doe@example.com"')}`);
    expect(lookup.body['totalResults']).toBe(0);
    const created = await scim('POST', '/Users', oneLoginUser('jane.doe@example.com'), json);
    expect(created.status).toBe(201);
    const userId = created.body['id'] as string;
    expect(created.headers.get('location')).toBe(`${directory.endpointUrl}/Users/${userId}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body).toMatchObject({ userName: 'jane.doe@example.com', active: true, emails: [{ value: 'jane.doe@example.com', type: 'work', primary: true }] });
    expect(created.body).not.toHaveProperty('password');

    // The same name, other case: found by the case-insensitive lookup; a second POST is a 409.
    const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "JANE.DOE@EXAMPLE.COM"')}`);
    expect(found.body['totalResults']).toBe(1);
    const clash = await scim('POST', '/Users', oneLoginUser('JANE.doe@example.com'));
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });

    // Profile change: GET, then a full PUT. Re-sending it unchanged is a no-op (no event, same version).
    const read = await scim('GET', `/Users/${userId}`);
    expect(read.status).toBe(200);
    const updatedBody = oneLoginUser('jane.doe@example.com', { title: 'VP Sales', name: { givenName: 'Jane', familyName: 'Smith' } });
    const updated = await scim('PUT', `/Users/${userId}`, updatedBody);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ title: 'VP Sales', name: { familyName: 'Smith' } });
    expect(updated.headers.get('etag')).toBe('W/"2"');
    const unchanged = await scim('PUT', `/Users/${userId}`, updatedBody);
    expect(unchanged.status).toBe(200);
    expect(unchanged.headers.get('etag')).toBe('W/"2"');

    // Suspend: the user with active false (as a string, as some templates send it), then unsuspend.
    const suspended = await scim('PUT', `/Users/${userId}`, { ...updatedBody, active: 'false' });
    expect(suspended.body['active']).toBe(false);
    const resumed = await scim('PUT', `/Users/${userId}`, { ...updatedBody, active: true });
    expect(resumed.body['active']).toBe(true);

    // A second user, and OneLogin Roles pushed as groups.
    const second = await scim('POST', '/Users', oneLoginUser('sam.roe@example.com'));
    const samId = second.body['id'] as string;
    const refresh = await scim('GET', '/Groups');
    expect(refresh.body['totalResults']).toBe(0);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales Team' });
    expect(group.status).toBe(201);
    const groupId = group.body['id'] as string;

    const patch = (operations: unknown[]) => scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations });
    // add with path "members" and a value array
    expect((await patch([{ op: 'add', path: 'members', value: [{ value: userId }, { value: samId }] }])).status).toBe(200);
    // adding an existing member again: no-op
    expect((await patch([{ op: 'add', path: 'members', value: [{ value: userId }] }])).status).toBe(200);
    // removal by value filter
    expect((await patch([{ op: 'remove', path: `members[value eq "${samId}"]` }])).status).toBe(200);
    // removal of a non-member: no-op, not an error
    expect((await patch([{ op: 'remove', path: `members[value eq "${samId}"]` }])).status).toBe(200);
    // re-add, then removal as path "members" with a value array (removes those, not all)
    await patch([{ op: 'add', path: 'members', value: [{ value: samId }] }]);
    expect((await patch([{ op: 'remove', path: 'members', value: [{ value: samId }] }])).status).toBe(200);
    // the SCIM 1.1 app's form
    await patch([{ op: 'add', path: 'members', value: [{ value: samId }] }]);
    const legacy = await scim('PATCH', `/Groups/${groupId}`, { members: [{ value: samId, operation: 'delete' }] });
    expect(legacy.status).toBe(200);
    const groupNow = await scim('GET', `/Groups/${groupId}`);
    expect((groupNow.body['members'] as { value: string }[]).map((m) => m.value)).toEqual([userId]);
    const janeGroups = await scim('GET', `/Users/${userId}`);
    expect(janeGroups.body['groups']).toEqual([expect.objectContaining({ value: groupId, display: 'Sales Team' })]);

    // Removing the user: 204, it leaves the group, and is gone.
    const removed = await scim('DELETE', `/Users/${userId}`);
    expect(removed.status).toBe(204);
    expect((await scim('GET', `/Users/${userId}`)).status).toBe(404);
    const groupAfter = await scim('GET', `/Groups/${groupId}`);
    expect(groupAfter.body['members'] ?? []).toEqual([]);

    const expected: [string, Record<string, unknown>][] = [
      ['DirectoryCreated', { directoryId: directory.directoryId, provider: 'onelogin' }],
      ['DirectoryTokenIssued', { tokenId: directory.tokenId }],
      ['UserProvisioned', { userId, userName: 'jane.doe@example.com', active: true, primaryEmail: 'jane.doe@example.com' }],
      ['UserUpdated', { userId, changedAttributes: ['name', 'title'], familyName: 'Smith' }],
      ['UserDeactivated', { userId, userName: 'jane.doe@example.com' }],
      ['UserReactivated', { userId }],
      ['UserProvisioned', { userId: samId }],
      ['GroupCreated', { groupId, displayName: 'Sales Team', memberIds: [] }],
      ['GroupMembershipChanged', { groupId, added: [userId, samId].sort(), removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [samId] }],
      ['GroupMembershipChanged', { groupId, added: [samId], removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [samId] }],
      ['GroupMembershipChanged', { groupId, added: [samId], removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [samId] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [userId] }],
      ['UserDeprovisioned', { userId, userName: 'jane.doe@example.com' }],
    ];
    await probe.waitFor(directory.directoryId, expected.length);
    const received = await probe.settled(directory.directoryId);
    expect(received.map((r) => r.event.type)).toEqual(expected.map(([type]) => type));
    received.forEach((r, i) => expect(r.event.data).toMatchObject((expected[i] as [string, Record<string, unknown>])[1]));
    // Envelope: keyed facts for consumers.
    for (const r of received) {
      expect(r.envelope.directoryid).toBe(directory.directoryId);
      expect(r.envelope.organizationid).toBe(directory.organizationId);
    }
    expect(probe.invalidMessages).toEqual([]);
  }, 90_000);
});
