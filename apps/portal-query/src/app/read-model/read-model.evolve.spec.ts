import { userStateFromResource } from '@scimbridge/contracts';
import { countUser, emptyDelta, noteEvent, userColumns } from './read-model.evolve';

describe('read-model evolve helpers', () => {
  it('takes department from the enterprise extension and title from the core user, keeping the raw resource', () => {
    const resource = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'u1',
      userName: 'ada@example.com',
      title: 'Countess',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Research' },
    };
    const c = userColumns(userStateFromResource(resource));
    expect(c).toMatchObject({ user_id: 'u1', user_name: 'ada@example.com', department: 'Research', title: 'Countess', active: true });
    expect(c.attributes).toEqual(resource);
    expect(userColumns(userStateFromResource({ id: 'u2', userName: 'b', title: '' })).title).toBeNull();
  });

  it('counts users moving between absent, active and inactive', () => {
    const d = emptyDelta();
    countUser(d, undefined, true);
    countUser(d, undefined, false);
    countUser(d, true, false);
    countUser(d, false, undefined);
    countUser(d, null, true);
    expect([d.usersActive, d.usersInactive]).toEqual([1, 1]);
  });

  it('keeps the last event by (time, id) whatever order events come in, and sync times for user/group events only', () => {
    const events = [
      { id: 'b', type: 'RoleAssigned', time: '2026-01-01T10:00:02.000Z' },
      { id: 'a', type: 'UserProvisioned', time: '2026-01-01T10:00:01.000Z' },
      { id: 'c', type: 'GroupCreated', time: '2026-01-01T10:00:02.000Z' },
      { id: 'd', type: 'DirectoryTokenIssued', time: '2026-01-01T10:00:00.000Z' },
    ];
    const forward = emptyDelta();
    const backward = emptyDelta();
    for (const e of events) noteEvent(forward, e);
    for (const e of [...events].reverse()) noteEvent(backward, e);
    expect(forward).toEqual(backward);
    expect(forward.lastEvent).toEqual({ at: '2026-01-01T10:00:02.000Z', id: 'c', type: 'GroupCreated' });
    expect([forward.firstSyncAt, forward.lastSyncAt]).toEqual(['2026-01-01T10:00:01.000Z', '2026-01-01T10:00:02.000Z']);
  });
});
