import { createTestDirectoryIn, type ReceivedEvent } from '@scimbridge/testing';
import { createDirectory, ingressWithProbe, management, scimClient, startIngress, type TestDirectory } from './ingress.test-support';

/*
 * The directory's background jobs against the real ingress on PostgreSQL + Kafka — deletion
 * (DELETE /api/v1/directories/{id}) and full-state resync (POST …/resync): what the admin sees, and what
 * downstream apps receive on scim.directory.events. Chunks of 2 resources, so every job spans several
 * transactions.
 */

const suite = ingressWithProbe({ DIRECTORY_DELETION_GRACE_MS: '200', DIRECTORY_JOB_CHUNK_SIZE: '2' });
const probe = suite.probe;

async function provision(directory: TestDirectory, users: number): Promise<{ userIds: string[]; groupId: string }> {
  const scim = scimClient(directory);
  const userIds: string[] = [];
  for (let i = 0; i < users; i += 1) {
    const created = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `user${i}@example.com`, active: true });
    expect(created.status).toBe(201);
    userIds.push(created.body['id'] as string);
  }
  const group = await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Engineering',
    members: userIds.slice(0, 2).map((value) => ({ value })),
  });
  expect(group.status).toBe(201);
  return { userIds, groupId: group.body['id'] as string };
}

const types = (events: readonly ReceivedEvent[]): string[] => events.map((e) => e.event.type);

describe('directory deletion', () => {
  it('is gone at once for the IdP and the API; its groups and users get their last events, then DirectoryDeleted', async () => {
    const directory = await createDirectory(suite.ingress);
    const sibling = await createTestDirectoryIn(suite.ingress.url, directory.organizationId);
    const { userIds, groupId } = await provision(directory, 3);
    await provision(sibling, 1);
    const before = await probe.waitFor(directory.directoryId, 6); // created, token, 3 users, group
    const scim = scimClient(directory);

    const deleted = await management(suite.ingress, 'DELETE', `/directories/${directory.directoryId}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body).toEqual({ id: directory.directoryId, status: 'deleting' });

    // At once: the token is refused, the directory is unknown to the API, the organization lists only the other one.
    expect((await scim('GET', '/Users')).status).toBe(401);
    expect((await management(suite.ingress, 'GET', `/directories/${directory.directoryId}/connection`)).status).toBe(404);
    expect((await management(suite.ingress, 'POST', `/directories/${directory.directoryId}/tokens`, {})).status).toBe(404);
    expect((await management(suite.ingress, 'DELETE', `/directories/${directory.directoryId}`)).status).toBe(404);
    const listed = await management<{ directories: { id: string }[] }>(suite.ingress, 'GET', `/organizations/${directory.organizationId}/directories`);
    expect(listed.body.directories.map((d) => d.id)).toEqual([sibling.directoryId]);

    const all = await probe.waitFor(directory.directoryId, before.length + 5);
    const after = (await probe.settled(directory.directoryId)).slice(before.length);
    expect(all.length).toBeGreaterThanOrEqual(before.length + 5);
    // Groups first (so no membership change is needed), then users, DirectoryDeleted last and once.
    expect(types(after)).toEqual(['GroupDeleted', 'UserDeprovisioned', 'UserDeprovisioned', 'UserDeprovisioned', 'DirectoryDeleted']);
    expect(after[0]?.event.data).toMatchObject({ groupId, displayName: 'Engineering' });
    expect(after.slice(1, 4).map((e) => (e.event.data as { userId: string }).userId).sort()).toEqual([...userIds].sort());
    expect(after[4]?.event.data).toEqual({ directoryId: directory.directoryId, organizationId: directory.organizationId, deprovisionedUsers: 3, deletedGroups: 1 });
    expect(after[4]?.envelope.subject).toBe(`directory:${directory.directoryId}`);
    for (const e of after) expect(e.envelope.directoryid).toBe(directory.directoryId);
    expect(probe.invalidMessages).toEqual([]);

    // The IdP is still refused; the sibling directory of the same organization is untouched.
    expect((await scim('GET', '/Users')).status).toBe(401);
    const siblingUsers = await scimClient(sibling)('GET', '/Users');
    expect(siblingUsers.status).toBe(200);
    expect(siblingUsers.body['totalResults']).toBe(1);
  });

  it('a deletion cut short by a restart is finished by the next start', async () => {
    // This replica waits a minute before deprovisioning and is stopped before it starts.
    const first = await startIngress({ DIRECTORY_DELETION_GRACE_MS: '60000', DIRECTORY_JOB_CHUNK_SIZE: '2' });
    let directory: TestDirectory;
    let before: number;
    try {
      directory = await createDirectory(first);
      await provision(directory, 2);
      before = (await probe.waitFor(directory.directoryId, 5)).length;
      expect((await management(first, 'DELETE', `/directories/${directory.directoryId}`)).status).toBe(202);
    } finally {
      await first.close();
    }
    expect(types(probe.received(directory.directoryId))).not.toContain('DirectoryDeleted');

    const second = await startIngress({ DIRECTORY_DELETION_GRACE_MS: '0', DIRECTORY_JOB_CHUNK_SIZE: '2' });
    try {
      await probe.waitFor(directory.directoryId, before + 4);
      const after = (await probe.settled(directory.directoryId)).slice(before);
      expect(types(after)).toEqual(['GroupDeleted', 'UserDeprovisioned', 'UserDeprovisioned', 'DirectoryDeleted']);
      expect(after[3]?.event.data).toMatchObject({ deprovisionedUsers: 2, deletedGroups: 1 });
    } finally {
      await second.close();
    }
  }, 60_000);
});

interface ResyncView {
  resyncId: string;
  status: string;
  userCount: number;
  groupCount: number;
  usersSent: number;
  groupsSent: number;
  alreadyRunning?: boolean;
}

describe('directory resync', () => {
  it('re-sends every group and user as it is now, on its own stream between Started and Completed, changing nothing', async () => {
    const directory = await createDirectory(suite.ingress);
    const scim = scimClient(directory);
    const { userIds, groupId } = await provision(directory, 3);
    const empty = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Nobody' });
    // Some history, so sequences differ: a rename and a deactivation.
    expect((await scim('PATCH', `/Users/${userIds[0]}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(200);
    expect((await scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Engineering (all)' }] })).status).toBeLessThan(300);
    const before = await probe.waitFor(directory.directoryId, 9);
    const usersBefore = (await scim('GET', '/Users')).body;

    const requested = await management<ResyncView>(suite.ingress, 'POST', `/directories/${directory.directoryId}/resync`);
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ userCount: 3, groupCount: 2 });
    const resyncId = requested.body.resyncId;

    const all = await probe.waitFor(directory.directoryId, before.length + 7);
    const resync = (await probe.settled(directory.directoryId)).slice(before.length);
    expect(all.length).toBeGreaterThanOrEqual(before.length + 7);
    expect(types(resync)).toEqual(['DirectoryResyncStarted', 'GroupResynced', 'GroupResynced', 'UserResynced', 'UserResynced', 'UserResynced', 'DirectoryResyncCompleted']);
    for (const [i, e] of resync.entries()) {
      expect(e.envelope.subject).toBe(`directory_resync:${directory.directoryId}:${resyncId}`);
      expect(Number(e.envelope.sequence)).toBe(i + 1);
    }
    expect(resync[0]?.event.data).toEqual({ directoryId: directory.directoryId, resyncId, userCount: 3, groupCount: 2 });
    expect(resync[6]?.event.data).toEqual({ directoryId: directory.directoryId, resyncId, userCount: 3, groupCount: 2 });

    // Each state is the latest the resource's own stream said, with that stream's last sequence.
    const lastSequence = (subject: string): number => Number([...before].reverse().find((e) => e.envelope.subject === subject)?.envelope.sequence);
    const groups = resync.filter((e) => e.event.type === 'GroupResynced').map((e) => e.event.data as unknown as { groupId: string; displayName: string; memberIds: string[]; groupSequence: number });
    expect(groups.map((g) => g.groupId)).toEqual([groupId, String(empty.body['id'])].sort());
    const eng = groups.find((g) => g.groupId === groupId);
    expect(eng).toMatchObject({ displayName: 'Engineering (all)', groupSequence: lastSequence(`directory_group:${directory.directoryId}:${groupId}`) });
    expect([...(eng?.memberIds ?? [])].sort()).toEqual(userIds.slice(0, 2).sort());
    const users = resync.filter((e) => e.event.type === 'UserResynced').map((e) => e.event.data as unknown as { userId: string; active: boolean; userSequence: number; resource: Record<string, unknown> });
    expect(users.map((u) => u.userId)).toEqual([...userIds].sort());
    for (const u of users) {
      expect(u.userSequence).toBe(lastSequence(`directory_user:${directory.directoryId}:${u.userId}`));
      expect(u.active).toBe(u.userId !== userIds[0]);
      expect(u.resource).not.toHaveProperty('groups');
    }
    expect(probe.invalidMessages).toEqual([]);

    const status = await management<ResyncView>(suite.ingress, 'GET', `/directories/${directory.directoryId}/resyncs/${resyncId}`);
    expect(status.body).toMatchObject({ status: 'completed', usersSent: 3, groupsSent: 2 });
    // Nothing changed in the directory: same users, same versions.
    expect((await scim('GET', '/Users')).body).toEqual(usersBefore);
  });

  it('runs one at a time per directory, and refuses unknown, foreign and deleted directories', async () => {
    const directory = await createDirectory(suite.ingress);
    await provision(directory, 2);
    const first = await management<ResyncView>(suite.ingress, 'POST', `/directories/${directory.directoryId}/resync`);
    const second = await management<ResyncView>(suite.ingress, 'POST', `/directories/${directory.directoryId}/resync`);
    expect(second.status).toBe(202);
    // Either the first is still running (and is returned) or it already finished (and a new one started).
    if (second.body.alreadyRunning) expect(second.body.resyncId).toBe(first.body.resyncId);
    else expect(second.body.resyncId).not.toBe(first.body.resyncId);
    expect((await management(suite.ingress, 'POST', '/directories/00000000-0000-4000-8000-000000000000/resync')).status).toBe(404);
    expect((await management(suite.ingress, 'GET', `/directories/${directory.directoryId}/resyncs/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await management(suite.ingress, 'DELETE', `/directories/${directory.directoryId}`)).status).toBe(202);
    expect((await management(suite.ingress, 'POST', `/directories/${directory.directoryId}/resync`)).status).toBe(404);
    // The deletion's DirectoryDeleted is the last event, after whatever the resyncs sent.
    await probe.waitFor(directory.directoryId, 1, 30_000);
    const deadline = Date.now() + 30_000;
    while (!types(probe.received(directory.directoryId)).includes('DirectoryDeleted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const events = await probe.settled(directory.directoryId);
    expect(types(events).at(-1)).toBe('DirectoryDeleted');
  });

  it('is sent once even with several replicas sweeping for it (one claims it), and a stopped replica\'s resync is taken over', async () => {
    const fast = { DIRECTORY_JOB_CHUNK_SIZE: '1', DIRECTORY_JOB_SWEEP_MS: '100' };
    const [a, b] = [await startIngress(fast), await startIngress(fast)];
    try {
      const directory = await createDirectory(a);
      await provision(directory, 3);
      const before = (await probe.waitFor(directory.directoryId, 6)).length;
      const requested = await management<ResyncView>(a, 'POST', `/directories/${directory.directoryId}/resync`);
      expect(requested.status).toBe(202);
      // Stop the replica that took the request at once: the other one's sweep takes the rest over.
      await a.close();
      await probe.waitFor(directory.directoryId, before + 6, 30_000);
      const resync = (await probe.settled(directory.directoryId)).slice(before);
      expect(types(resync)).toEqual(['DirectoryResyncStarted', 'GroupResynced', 'UserResynced', 'UserResynced', 'UserResynced', 'DirectoryResyncCompleted']);
      expect(resync.map((e) => Number(e.envelope.sequence))).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await management<ResyncView>(b, 'GET', `/directories/${directory.directoryId}/resyncs/${requested.body.resyncId}`)).body).toMatchObject({ status: 'completed', usersSent: 3, groupsSent: 1 });
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
