import { createTestDirectoryIn, type ReceivedEvent } from '@scimbridge/testing';
import { createDirectory, ingressWithProbe, management, scimClient, startIngress, type TestDirectory } from './ingress.test-support';

/*
 * Deleting a directory (DELETE /api/v1/directories/{id}) against the real ingress on PostgreSQL + Kafka:
 * what the admin sees at once, and what downstream apps receive on scim.directory.events.
 */

const suite = ingressWithProbe({ DIRECTORY_DELETION_GRACE_MS: '200' });
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
    const first = await startIngress({ DIRECTORY_DELETION_GRACE_MS: '60000' });
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

    const second = await startIngress({ DIRECTORY_DELETION_GRACE_MS: '0' });
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
