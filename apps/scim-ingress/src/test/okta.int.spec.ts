import { createDirectory, ingressWithProbe, scimClient } from './ingress.test-support';
import {
  directorySetupEvents,
  expectAllowed,
  expectDirectoryEvents,
  expectListResponse,
  expectNoPassword,
  expectScimError,
  loadTranscript,
  memberIds,
  TranscriptReplay,
  USER_URN,
  type ExpectedEvent,
} from './transcript.test-support';

/*
 * The Okta transcript (shared/idp/okta.json) replayed against the real ingress on PostgreSQL + Kafka,
 * plus the Okta rules of shared/idp/README.md: every response as Okta expects it, and exactly the events
 * that reach scim.directory.events.
 */

const transcript = loadTranscript('okta');
/** Sample ids in the transcript: the user created in step 2 (its exampleResponse id) and a second user. */
const SAMPLE_USER_ID = '23a35c27-23d3-4c03-b4c5-6443c09e7173';
const SAMPLE_OTHER_USER_ID = '89bb1940-b905-4575-9e7f-6f887cfb368e';

const suite = ingressWithProbe();
const probe = suite.probe;

async function oktaDirectory() {
  const directory = await createDirectory(suite.ingress, 'okta');
  return { directory, replay: new TranscriptReplay(directory, transcript), scim: scimClient(directory) };
}

/** Step 2's user under another name: the second user the group steps refer to. */
async function createOtherUser(replay: TranscriptReplay, userName: string, externalId: string): Promise<string> {
  const body = { ...(replay.bodyOf('2') as Record<string, unknown>), userName, externalId, displayName: 'Other User', emails: [{ primary: true, value: userName, type: 'work' }] };
  const created = await replay.send('2', { body });
  expectAllowed(created, 201);
  return created.body['id'] as string;
}

describe('Okta transcript: users', () => {
  it('existence check, create (password ignored), 409 on re-create, read, profile PUT, PATCH and PUT (de)activation', async () => {
    const { directory, replay, scim } = await oktaDirectory();

    // 1. Existence check: an empty ListResponse, exactly as in the transcript's example.
    const lookup = await replay.send('1');
    expectAllowed(lookup, 200);
    expect(lookup.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expectListResponse(lookup.body, { totalResults: 0, startIndex: 1, itemsPerPage: 0 });
    expect(lookup.body).toEqual(lookup.step.exampleResponse);

    // 2. Create: 201 with the user and its id; the password is accepted and never returned.
    const created = await replay.send('2');
    expectAllowed(created, 201);
    expectNoPassword(created);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const userId = created.body['id'] as string;
    expect(userId).toEqual(expect.any(String));
    expect(created.headers.get('location')).toBe(`${directory.endpointUrl}/Users/${userId}`);
    expect(created.body).toMatchObject({
      schemas: expect.arrayContaining([USER_URN]),
      userName: 'test.user@okta.local',
      externalId: '00ujl29u0le5T6Aj10h7',
      displayName: 'Test User',
      locale: 'en-US',
      active: true,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      meta: { resourceType: 'User' },
    });
    replay.map('{id}', userId).map(SAMPLE_USER_ID, userId);

    // The existence check now finds it (Okta's next sync), and a second create is a 409 SCIM Error.
    const found = await replay.send('1');
    const [match] = expectListResponse(found.body, { totalResults: 1 });
    expect(match).toMatchObject({ id: userId, userName: 'test.user@okta.local' });
    expectNoPassword(found);
    const again = await replay.send('2');
    expectAllowed(again, 409);
    expectScimError(again, 409, 'uniqueness');

    // 3a. Read before the update.
    const read = await replay.send('3a');
    expectAllowed(read, 200);
    expectNoPassword(read);
    expect(read.body).toMatchObject({ id: userId, userName: 'test.user@okta.local', active: true });

    // 3b. Full PUT of the profile. RFC 7644 §3.5.1 lets the server clear readWrite attributes the PUT
    // leaves out (displayName, locale, externalId here), so they count as changed.
    const put = await replay.send('3b');
    expectAllowed(put, 200);
    expectNoPassword(put);
    expect(put.body).toMatchObject({
      id: userId,
      active: true,
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
    });
    // Okta re-sends unchanged profiles: a no-op (same version, no event).
    const resent = await replay.send('3b');
    expectAllowed(resent, 200);
    expect(resent.headers.get('etag')).toBe(put.headers.get('etag'));

    // 4. Deactivation of catalog apps: PATCH replace with a path-less {"active": false}.
    const deactivated = await replay.send('4');
    expectAllowed(deactivated);
    if (deactivated.status === 200) expect(deactivated.body).toMatchObject({ id: userId, active: false });
    expect((await scim('GET', `/Users/${userId}`)).body['active']).toBe(false);
    // Sent again: nothing changes.
    expectAllowed(await replay.send('4'));
    // Reactivation: the same shape with true.
    const reactivated = await replay.send('4', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] } });
    expectAllowed(reactivated);
    if (reactivated.status === 200) expect(reactivated.body['active']).toBe(true);

    // "password sync also PATCH": accepted, never stored or returned, and no event (nothing an app sees changed).
    const passwordSync = await replay.send('4', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { password: 'n3wSecret!' } }] } });
    expectAllowed(passwordSync);
    expectNoPassword(passwordSync);
    expect(passwordSync.text).not.toContain('n3wSecret!');

    // 4b. Deactivation of AIW apps: a full PUT with active false (and the older profile).
    const putDeactivated = await replay.send('4b');
    expectAllowed(putDeactivated, 200);
    expect(putDeactivated.body).toMatchObject({ id: userId, active: false, name: { givenName: 'Test', familyName: 'User' } });
    expect(putDeactivated.body['name']).not.toHaveProperty('middleName');
    expectNoPassword(putDeactivated);
    // Reactivation by PUT with true.
    const putReactivated = await replay.send('4b', { body: { ...(replay.step('4b').body as Record<string, unknown>), active: true } });
    expectAllowed(putReactivated, 200);
    expect(putReactivated.body['active']).toBe(true);

    const reference = { userId, userName: 'test.user@okta.local' };
    const expected: ExpectedEvent[] = [
      ...directorySetupEvents(directory, 'okta'),
      [
        'UserProvisioned',
        { ...reference, externalId: '00ujl29u0le5T6Aj10h7', active: true, displayName: 'Test User', givenName: 'Test', familyName: 'User', primaryEmail: 'test.user@okta.local' },
      ],
      ['UserUpdated', { userId, changedAttributes: ['displayName', 'emails', 'externalId', 'locale', 'name'], givenName: 'Another', active: true }],
      ['UserDeactivated', reference],
      ['UserReactivated', reference],
      ['UserUpdated', { userId, changedAttributes: ['emails', 'name'], givenName: 'Test', active: false }],
      ['UserDeactivated', reference],
      ['UserReactivated', reference],
    ];
    const received = await expectDirectoryEvents(probe, directory, expected);
    for (const r of received) expect(JSON.stringify(r.event.data)).not.toMatch(/1mz050nq|n3wSecret!|"password"/);
  }, 30_000);
});

describe('Okta transcript: group push', () => {
  it('push, rename (re-sent and real), mixed remove/add, replace members as the exact set, delete', async () => {
    const { directory, replay, scim } = await oktaDirectory();
    const userId = (await replay.send('2')).body['id'] as string;
    const otherId = await createOtherUser(replay, 'other.user@okta.local', '00uother000000000001');
    replay.map(SAMPLE_USER_ID, userId).map(SAMPLE_OTHER_USER_ID, otherId);

    // 5. Push group: 201 with its id, no members.
    const pushed = await replay.send('5');
    expectAllowed(pushed, 201);
    const groupId = pushed.body['id'] as string;
    expect(pushed.body).toMatchObject({ id: groupId, displayName: 'Test SCIMv2', meta: { resourceType: 'Group' } });
    expect(memberIds(pushed.body)).toEqual([]);
    expect(pushed.headers.get('location')).toBe(`${directory.endpointUrl}/Groups/${groupId}`);
    replay.map('{groupId}', groupId);

    // 6. "Rename" as Okta re-sends it with every membership update: same name, so no event.
    const renameResent = await replay.send('6');
    expectAllowed(renameResent);
    if (renameResent.status === 200) expect(renameResent.body).toMatchObject({ id: groupId, displayName: 'Test SCIMv2' });
    // A real rename in the same shape.
    const renamed = await replay.send('6', { substitute: { '"Test SCIMv2"': '"Test SCIMv2 Renamed"' } });
    expectAllowed(renamed);
    expect((await scim('GET', `/Groups/${groupId}`)).body['displayName']).toBe('Test SCIMv2 Renamed');

    // 7. Mixed remove (of a user who is not a member yet: no-op) and add.
    const mixed = await replay.send('7');
    expectAllowed(mixed);
    expect(memberIds((await scim('GET', `/Groups/${groupId}`)).body)).toEqual([userId]);

    // 8. Full push: replace members with the exact set (adds the other user).
    const full = await replay.send('8');
    expectAllowed(full);
    expect(memberIds((await scim('GET', `/Groups/${groupId}`)).body)).toEqual([userId, otherId].sort());

    // 7 again: removes the other user; adding the existing member is a no-op.
    expectAllowed(await replay.send('7'));
    expect(memberIds((await scim('GET', `/Groups/${groupId}`)).body)).toEqual([userId]);

    // replace members is a set, not an add: [other] alone removes the user and adds the other user.
    const onlyOther = await replay.send('8', { substitute: { [`{"value":"${SAMPLE_USER_ID}","display":"test.user@okta.local"},`]: '' } });
    expectAllowed(onlyOther);
    if (onlyOther.status === 200) expect(memberIds(onlyOther.body)).toEqual([otherId]);
    expect(memberIds((await scim('GET', `/Groups/${groupId}`)).body)).toEqual([otherId]);
    const userView = await scim('GET', `/Users/${otherId}`);
    expect(userView.body['groups']).toEqual([expect.objectContaining({ value: groupId, display: 'Test SCIMv2 Renamed' })]);
    // The same set again: no event.
    expectAllowed(await replay.send('8', { substitute: { [`{"value":"${SAMPLE_USER_ID}","display":"test.user@okta.local"},`]: '' } }));

    // A member that is not a user of this directory: 400 invalidValue, nothing changes.
    const stranger = await replay.send('7', { substitute: { [SAMPLE_USER_ID]: '00000000-0000-4000-8000-000000000000' } });
    expectScimError(stranger, 400, 'invalidValue');
    expect(memberIds((await scim('GET', `/Groups/${groupId}`)).body)).toEqual([otherId]);

    // 9. Delete the group in the target app: 204, gone, and only GroupDeleted (users stay).
    const deleted = await replay.send('9');
    expectAllowed(deleted, 204);
    expect(deleted.text).toBe('');
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);
    expect((await scim('GET', `/Users/${otherId}`)).body['groups'] ?? []).toEqual([]);

    await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'okta'),
      ['UserProvisioned', { userId, userName: 'test.user@okta.local' }],
      ['UserProvisioned', { userId: otherId, userName: 'other.user@okta.local' }],
      ['GroupCreated', { groupId, displayName: 'Test SCIMv2', memberIds: [] }],
      ['GroupUpdated', { groupId, displayName: 'Test SCIMv2 Renamed', changedAttributes: ['displayName'] }],
      ['GroupMembershipChanged', { groupId, added: [userId], removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [otherId], removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [otherId] }],
      ['GroupMembershipChanged', { groupId, added: [otherId], removed: [userId] }],
      ['GroupDeleted', { groupId, displayName: 'Test SCIMv2 Renamed' }],
    ]);
  }, 30_000);

  it('members carried in POST and PUT (AIW setups)', async () => {
    const { directory, replay, scim } = await oktaDirectory();
    const userId = (await replay.send('2')).body['id'] as string;
    const otherId = await createOtherUser(replay, 'other.user@okta.local', '00uother000000000001');

    const pushed = await replay.send('5', { body: { ...(replay.step('5').body as Record<string, unknown>), members: [{ value: userId, display: 'test.user@okta.local' }] } });
    expectAllowed(pushed, 201);
    const groupId = pushed.body['id'] as string;
    expect(memberIds(pushed.body)).toEqual([userId]);

    // AIW apps send PUT /Groups/{id} with the whole group: members are the exact set.
    const put = await scim('PUT', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: groupId, displayName: 'Test SCIMv2', members: [{ value: otherId, display: 'other.user@okta.local' }] });
    expect(put.status).toBe(200);
    expect(memberIds(put.body)).toEqual([otherId]);

    await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'okta'),
      ['UserProvisioned', { userId }],
      ['UserProvisioned', { userId: otherId }],
      ['GroupCreated', { groupId, displayName: 'Test SCIMv2', memberIds: [userId] }],
      ['GroupMembershipChanged', { groupId, added: [otherId], removed: [userId] }],
    ]);
  }, 30_000);
});

describe('Okta transcript: import', () => {
  it('pages users and groups with integer totalResults/startIndex/itemsPerPage in a stable order, without events', async () => {
    const { directory, replay, scim } = await oktaDirectory();
    const ids: string[] = [(await replay.send('2')).body['id'] as string];
    for (let i = 1; i <= 2; i += 1) ids.push(await createOtherUser(replay, `user${i}@okta.local`, `00uimport00000000000${i}`));
    const groupId = (await replay.send('5')).body['id'] as string;

    // 10. Import: the first page holds everyone.
    const page = await replay.send('10');
    expectAllowed(page, 200);
    expectNoPassword(page);
    const all = expectListResponse(page.body, { totalResults: 3, startIndex: 1, itemsPerPage: 3 });
    expect(all.map((u) => u['id']).sort()).toEqual([...ids].sort());
    // "then startIndex=101": past the end, an empty page that still reports the total.
    const next = await replay.send('10', { path: '/scim/v2/Users?startIndex=101&count=100' });
    expectAllowed(next, 200);
    expectListResponse(next.body, { totalResults: 3, startIndex: 101, itemsPerPage: 0 });
    // Small pages walk the same order, and the order is the same on every call.
    const walked: unknown[] = [];
    for (let start = 1; start <= 3; start += 1) {
      const one = await replay.send('10', { path: `/scim/v2/Users?startIndex=${start}&count=1` });
      walked.push(...expectListResponse(one.body, { totalResults: 3, startIndex: start, itemsPerPage: 1 }).map((u) => u['id']));
    }
    expect(walked).toEqual(all.map((u) => u['id']));
    const repeat = await replay.send('10');
    expect((repeat.body['Resources'] as { id: string }[]).map((u) => u.id)).toEqual(all.map((u) => u['id']));

    // Same for /Groups.
    const groups = await replay.send('10', { path: '/scim/v2/Groups?startIndex=1&count=100' });
    expectAllowed(groups, 200);
    const [group] = expectListResponse(groups.body, { totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(group).toMatchObject({ id: groupId, displayName: 'Test SCIMv2' });
    expect((await scim('GET', '/Groups?startIndex=101&count=100')).body).toMatchObject({ totalResults: 1, startIndex: 101, itemsPerPage: 0 });

    // Reads leave no event.
    await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'okta'),
      ['UserProvisioned', { userId: ids[0] }],
      ['UserProvisioned', { userId: ids[1] }],
      ['UserProvisioned', { userId: ids[2] }],
      ['GroupCreated', { groupId }],
    ]);
  }, 30_000);
});
