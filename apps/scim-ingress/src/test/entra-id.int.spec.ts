import { randomUUID } from 'node:crypto';
import { createDirectory, ingressWithProbe, scimClient } from './ingress.test-support';
import {
  directorySetupEvents,
  ENTERPRISE_URN,
  expectAllowed,
  expectDirectoryEvents,
  expectListResponse,
  expectNoPassword,
  expectScimError,
  GROUP_URN,
  loadTranscript,
  memberIds,
  PATCH_OP,
  TranscriptReplay,
  USER_URN,
  type ReplayResult,
} from './transcript.test-support';

/*
 * The Microsoft Entra ID transcript (shared/idp/entra-id.json) replayed against the real ingress on
 * PostgreSQL + Kafka, plus the Entra rules of shared/idp/README.md: capitalised ops, "False" strings,
 * filtered paths, the bare-string manager, dotted path-less keys, "Remove" with a value list, repeated
 * adds, unique group names. Entra sends no Accept header: answers are application/scim+json.
 */

const transcript = loadTranscript('entra-id');
const USER_NAME = 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const EXTERNAL_ID = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
const EMAIL = 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com';
/** Sample member ids of the group steps (10, 11, 11b). */
const SAMPLE_A = 'f648f8d5ea4e4cd38e9c';
const SAMPLE_B = 'a1b2c3';
const SAMPLE_C = '7f4bc1a3-285e-48ae-8202-5accb43efb0e';
const RENAMED = '1879db59-...updatedDisplayName';

const suite = ingressWithProbe();
const probe = suite.probe;

async function entraDirectory() {
  const directory = await createDirectory(suite.ingress, 'entra-id');
  return { directory, replay: new TranscriptReplay(directory, transcript), scim: scimClient(directory) };
}

function expectScimJson(result: ReplayResult): void {
  if (result.text !== '') expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
}

/** Step 3's user under another name. */
async function createUser(replay: TranscriptReplay, suffix: string): Promise<string> {
  const body = {
    ...(replay.bodyOf('3') as Record<string, unknown>),
    userName: `Test_User_${suffix}`,
    externalId: `ext-${suffix}`,
    emails: [{ primary: true, type: 'work', value: `${suffix}@testuser.com` }],
  };
  const created = await replay.send('3', { body });
  expectAllowed(created, 201);
  return created.body['id'] as string;
}

describe('Entra ID transcript: users', () => {
  it('test connection, match (encoded and form-style), create, PATCH update (both styles), manager, disable, hard delete', async () => {
    const { directory, replay, scim } = await entraDirectory();

    // 1. Test connection: a random value on the matching attribute (users and groups) → empty list.
    // RFC 7644 §3.4.2: itemsPerPage is the number of resources in the page, so 0 (the doc example's 20 is Entra's page size).
    for (const [attribute, path] of [
      ['userName', undefined],
      ['externalId', undefined],
      ['displayName', `/Groups?filter=displayName eq "${randomUUID()}"`],
    ] as const) {
      const connection = await replay.send('1', { ...(path ? { path } : {}), substitute: { '<matching attribute>': attribute, '<random GUID>': randomUUID() } });
      expectAllowed(connection, 200);
      expectScimJson(connection);
      expectListResponse(connection.body, { totalResults: 0, startIndex: 1, itemsPerPage: 0 });
      expect(connection.body['Resources']).toEqual([]);
    }

    // 2. Match user: always a ListResponse, never 404; also form-style encoded as Entra logs show it.
    const match = await replay.send('2');
    expectAllowed(match, 200);
    expectListResponse(match.body, { totalResults: 0 });
    const formStyle = `/Users?filter=userName+eq+%22${USER_NAME}%22`;
    expectListResponse((await replay.send('2', { path: formStyle })).body, { totalResults: 0 });

    // 3. Create.
    const created = await replay.send('3');
    expectAllowed(created, 201);
    expectScimJson(created);
    expectNoPassword(created);
    const userId = created.body['id'] as string;
    expect(created.headers.get('location')).toBe(`${directory.endpointUrl}/Users/${userId}`);
    expect(created.body).toMatchObject({
      id: userId,
      schemas: expect.arrayContaining([USER_URN]),
      userName: USER_NAME,
      externalId: EXTERNAL_ID,
      active: true,
      emails: [{ primary: true, type: 'work', value: EMAIL }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      meta: { resourceType: 'User' },
    });
    replay.map('{id}', userId);

    // The match now finds it, however Entra encodes and whichever matching attribute it uses.
    const matchFilters = [
      undefined,
      formStyle,
      `/Users?filter=${encodeURIComponent(`userName eq "${USER_NAME.toLowerCase()}"`)}`,
      `/Users?filter=externalId+eq+%22${EXTERNAL_ID}%22`,
      `/Users?filter=userName+eq+%22${USER_NAME}%22+and+externalId+eq+%22${EXTERNAL_ID}%22`,
      `/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "${EMAIL}"`)}`,
    ];
    for (const path of matchFilters) {
      const found = await replay.send('2', path ? { path } : {});
      expectAllowed(found, 200);
      const [user] = expectListResponse(found.body, { totalResults: 1 });
      expect({ path, id: user?.['id'] }).toEqual({ path, id: userId });
    }
    expectListResponse((await replay.send('2', { path: `/Users?filter=userName+eq+%22${USER_NAME}%22+and+externalId+eq+%22other%22` })).body, { totalResults: 0 });

    // 4. Update: capitalised ops, a filtered emails path, a sub-attribute path, an extension URN path.
    const updated = await replay.send('4');
    expectAllowed(updated);
    expectScimJson(updated);
    const afterUpdate = (await scim('GET', `/Users/${userId}`)).body;
    expect(afterUpdate).toMatchObject({
      emails: [{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }],
      name: { givenName: 'givenName', familyName: 'updatedFamilyName' },
      [ENTERPRISE_URN]: { employeeNumber: 'Eqpj' },
    });
    expect(afterUpdate['schemas']).toEqual(expect.arrayContaining([USER_URN, ENTERPRISE_URN]));
    if (updated.status === 200) expect(updated.body).toMatchObject({ id: userId, name: { familyName: 'updatedFamilyName' } });
    // Entra re-sends the same update: no event.
    expectAllowed(await replay.send('4'));

    // 4 with aadOptscim062020: lowercase op, path-less value object with dotted and URN keys.
    const dotted = await replay.send('4', {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', value: { displayName: 'Updated Display', 'name.givenName': 'updatedGivenName', [`${ENTERPRISE_URN}:employeeNumber`]: 'Eqpj2' } },
        ],
      },
    });
    expectAllowed(dotted);
    expect((await scim('GET', `/Users/${userId}`)).body).toMatchObject({
      displayName: 'Updated Display',
      name: { givenName: 'updatedGivenName', familyName: 'updatedFamilyName' },
      [ENTERPRISE_URN]: { employeeNumber: 'Eqpj2' },
    });

    // 5. Manager, once both users exist: a bare string id.
    const managerId = await createUser(replay, 'manager');
    replay.map('{managerScimId}', managerId);
    const manager = await replay.send('5');
    expectAllowed(manager);
    expect(((await scim('GET', `/Users/${userId}`)).body[ENTERPRISE_URN] as Record<string, unknown>)['manager']).toMatchObject({ value: managerId });
    // Re-PATCHed every cycle, and in Microsoft's documented one-element array shape: unchanged, no event.
    expectAllowed(await replay.send('5'));
    expectAllowed(
      await replay.send('5', { body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: `${ENTERPRISE_URN}:manager`, value: [{ $ref: null, value: managerId }] }] } }),
    );

    // 6. Disable with the string "False"; re-sent: no event. Re-enabled with "True", then disabled the
    // aadOptscim062020 way (boolean false, lowercase op).
    const disabled = await replay.send('6');
    expectAllowed(disabled);
    if (disabled.status === 200) expect(disabled.body['active']).toBe(false);
    expect((await scim('GET', `/Users/${userId}`)).body['active']).toBe(false);
    expectAllowed(await replay.send('6'));
    const enabled = await replay.send('6', { body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] } });
    expectAllowed(enabled);
    expect((await scim('GET', `/Users/${userId}`)).body['active']).toBe(true);
    expectAllowed(await replay.send('6', { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } }));
    expect((await scim('GET', `/Users/${userId}`)).body['active']).toBe(false);

    // 7. Hard delete: 204, then 404 for the unknown user.
    const deleted = await replay.send('7');
    expectAllowed(deleted, 204);
    expect(deleted.text).toBe('');
    expectScimError(await scim('GET', `/Users/${userId}`), 404);
    const deletedAgain = await replay.send('7');
    expectAllowed(deletedAgain, 404);
    expectScimError(deletedAgain, 404);
    expectListResponse((await replay.send('2')).body, { totalResults: 0 });

    const reference = { userId, userName: USER_NAME, externalId: EXTERNAL_ID };
    await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'entra-id'),
      ['UserProvisioned', { ...reference, active: true, givenName: 'givenName', familyName: 'familyName', primaryEmail: EMAIL }],
      ['UserUpdated', { ...reference, changedAttributes: ['emails', 'name', `${ENTERPRISE_URN}:employeeNumber`], familyName: 'updatedFamilyName', primaryEmail: 'updatedEmail@microsoft.com' }],
      ['UserUpdated', { ...reference, changedAttributes: ['displayName', 'name', `${ENTERPRISE_URN}:employeeNumber`], displayName: 'Updated Display', givenName: 'updatedGivenName' }],
      ['UserProvisioned', { userId: managerId, userName: 'Test_User_manager' }],
      ['UserUpdated', { ...reference, changedAttributes: [`${ENTERPRISE_URN}:manager`] }],
      ['UserDeactivated', reference],
      ['UserReactivated', reference],
      ['UserDeactivated', reference],
      ['UserDeprovisioned', reference],
    ]);
  }, 30_000);
});

describe('Entra ID transcript: groups', () => {
  it('match, create (unique name), idempotent adds, "Remove" with a value list, filtered remove, rename, member delete, group delete, schemas', async () => {
    const { directory, replay, scim } = await entraDirectory();
    const a = await createUser(replay, 'a');
    const b = await createUser(replay, 'b');
    const c = await createUser(replay, 'c');
    replay.map(SAMPLE_A, a).map(SAMPLE_B, b).map(SAMPLE_C, c);
    const members = async (groupId: string) => memberIds((await scim('GET', `/Groups/${groupId}`)).body);

    // 8. Match group: none yet.
    const noMatch = await replay.send('8');
    expectAllowed(noMatch, 200);
    expectListResponse(noMatch.body, { totalResults: 0 });

    // 9. Create (always empty, with Microsoft's extra schema URI).
    const created = await replay.send('9');
    expectAllowed(created, 201);
    expectScimJson(created);
    const groupId = created.body['id'] as string;
    expect(created.body).toMatchObject({ id: groupId, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' } });
    expect(created.body['schemas']).toEqual(expect.arrayContaining([GROUP_URN]));
    replay.map('{groupId}', groupId);
    // Entra matches groups by displayName, so it must be unique: the same POST again is a 409.
    const duplicate = await replay.send('9');
    expectScimError(duplicate, 409, 'uniqueness');

    // 10. Add members (several in one op); the same adds again are a no-op; adds re-sent with a new one.
    const added = await replay.send('10');
    expectAllowed(added);
    expectScimJson(added);
    expect(await members(groupId)).toEqual([a, b].sort());
    expectAllowed(await replay.send('10'));
    const withC = await replay.send('10', { body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: SAMPLE_A }, { $ref: null, value: SAMPLE_B }, { $ref: null, value: SAMPLE_C }] }] } });
    expectAllowed(withC);
    expect(await members(groupId)).toEqual([a, b, c].sort());

    // 8 again: found, and without members.
    const match = await replay.send('8');
    expectAllowed(match, 200);
    const [matched] = expectListResponse(match.body, { totalResults: 1 });
    expect(matched).toMatchObject({ id: groupId, displayName: 'displayName' });
    expect(matched).not.toHaveProperty('members');

    // 11. "Remove" with path members and a value list removes those members only; again: no-op.
    const removed = await replay.send('11');
    expectAllowed(removed);
    expect(await members(groupId)).toEqual([b, c].sort());
    expectAllowed(await replay.send('11'));
    expect(await members(groupId)).toEqual([b, c].sort());

    // 11b. Remove by value filter.
    const removedByFilter = await replay.send('11b');
    expectAllowed(removedByFilter);
    expect(await members(groupId)).toEqual([b]);

    // Members that are not users of the directory: 400 invalidValue, nothing changes.
    const stranger = await replay.send('10', { substitute: { [SAMPLE_A]: 'not-a-user-of-this-directory' } });
    expectScimError(stranger, 400, 'invalidValue');
    expect(await members(groupId)).toEqual([b]);

    // 12. Rename.
    const renamed = await replay.send('12');
    expectAllowed(renamed);
    expect((await scim('GET', `/Groups/${groupId}`)).body['displayName']).toBe(RENAMED);
    // Renaming another group to a taken name: 409 uniqueness.
    const other = await replay.send('9', { body: { ...(replay.step('9').body as Record<string, unknown>), externalId: 'other-group', displayName: 'Other group' } });
    expectAllowed(other, 201);
    const otherId = other.body['id'] as string;
    const clash = await replay.send('12', { substitute: { '{groupId}': otherId } });
    expectScimError(clash, 409, 'uniqueness');
    expect((await scim('GET', `/Groups/${otherId}`)).body['displayName']).toBe('Other group');

    // 7 for a member: it leaves the group, then is deprovisioned.
    const memberDeleted = await replay.send('7', { substitute: { '{id}': b } });
    expectAllowed(memberDeleted, 204);
    expect(await members(groupId)).toEqual([]);

    // 13. Delete group.
    const deleted = await replay.send('13');
    expectAllowed(deleted, 204);
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);

    // 14. Schema discovery: a ListResponse of the User, Enterprise User and Group schemas.
    const schemas = await replay.send('14');
    expectAllowed(schemas, 200);
    expectScimJson(schemas);
    const list = expectListResponse(schemas.body, { totalResults: (schemas.body['Resources'] as unknown[]).length });
    expect(list.map((s) => s['id'])).toEqual(expect.arrayContaining([USER_URN, ENTERPRISE_URN, GROUP_URN]));

    await expectDirectoryEvents(probe, directory, [
      ...directorySetupEvents(directory, 'entra-id'),
      ['UserProvisioned', { userId: a }],
      ['UserProvisioned', { userId: b }],
      ['UserProvisioned', { userId: c }],
      ['GroupCreated', { groupId, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', memberIds: [] }],
      ['GroupMembershipChanged', { groupId, added: [a, b].sort(), removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [c], removed: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [a] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [c] }],
      ['GroupUpdated', { groupId, displayName: RENAMED, changedAttributes: ['displayName'] }],
      ['GroupCreated', { groupId: otherId, displayName: 'Other group', memberIds: [] }],
      ['GroupMembershipChanged', { groupId, added: [], removed: [b] }],
      ['UserDeprovisioned', { userId: b, userName: 'Test_User_b' }],
      ['GroupDeleted', { groupId, displayName: RENAMED }],
    ]);
  }, 30_000);
});
