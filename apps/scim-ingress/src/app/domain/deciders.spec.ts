import { EXAMPLES } from '@scimbridge/contracts';
import { ScimError } from '@scimbridge/scim';
import { decideDirectory, DirectoryRejection, foldDirectory, INITIAL_DIRECTORY_STATE } from './directory.decider';
import { decideGroup, evolveGroup, groupStateOf, INITIAL_GROUP_STATE, withoutMembers } from './group.decider';
import { changedAttributes } from './resource-diff';
import { decideUser, evolveUser, INITIAL_USER_STATE, userStateOf } from './user.decider';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = (extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'jane@example.com',
  active: true,
  name: { givenName: 'Jane' },
  meta: { version: 'W/"1"' },
  ...extra,
});
const group = (members: string[], extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'g1',
  displayName: 'Sales',
  members: members.map((value) => ({ value })),
  meta: { version: 'W/"1"' },
  ...extra,
});

describe('user decider', () => {
  it('provisions once', () => {
    const events = decideUser({ kind: 'ProvisionUser', resource: user() }, INITIAL_USER_STATE);
    expect(events.map((e) => e.type)).toEqual(['UserProvisioned']);
    const state = events.reduce(evolveUser, INITIAL_USER_STATE);
    expect(() => decideUser({ kind: 'ProvisionUser', resource: user() }, state)).toThrow(ScimError);
  });

  it('an unchanged resend (only meta differs) decides nothing', () => {
    expect(decideUser({ kind: 'ReplaceUser', resource: user({ meta: { version: 'W/"2"' } }) }, userStateOf(user()))).toEqual([]);
  });

  it('separates attribute changes from (de)activation', () => {
    const deactivated = decideUser({ kind: 'ReplaceUser', resource: user({ active: false, title: 'CFO' }) }, userStateOf(user()));
    expect(deactivated.map((e) => e.type)).toEqual(['UserUpdated', 'UserDeactivated']);
    expect(deactivated[0]?.data).toMatchObject({ changedAttributes: ['title'] });
    const reactivated = decideUser({ kind: 'ReplaceUser', resource: user() }, userStateOf(user({ active: false })));
    expect(reactivated.map((e) => e.type)).toEqual(['UserReactivated']);
  });

  it('deprovisions a present user only', () => {
    expect(decideUser({ kind: 'DeprovisionUser' }, userStateOf(user()))[0]).toMatchObject({ type: 'UserDeprovisioned', data: { userId: 'u1', userName: 'jane@example.com' } });
    expect(() => decideUser({ kind: 'DeprovisionUser' }, INITIAL_USER_STATE)).toThrow(expect.objectContaining({ status: 404 }));
  });
});

describe('group decider', () => {
  it('creates with its members sorted', () => {
    const [created] = decideGroup({ kind: 'CreateGroup', resource: group(['b', 'a']) }, INITIAL_GROUP_STATE);
    expect(created).toMatchObject({ type: 'GroupCreated', data: { memberIds: ['a', 'b'] } });
    expect(created?.data).not.toHaveProperty('resource.members');
  });

  it('reports only real membership changes, separate from attribute changes', () => {
    const state = groupStateOf(group(['a', 'b']));
    expect(decideGroup({ kind: 'ReplaceGroup', resource: group(['b', 'a', 'a']) }, state)).toEqual([]);
    const events = decideGroup({ kind: 'ReplaceGroup', resource: group(['b', 'c'], { displayName: 'Sales EU' }) }, state);
    expect(events.map((e) => e.type)).toEqual(['GroupUpdated', 'GroupMembershipChanged']);
    expect(events[0]?.data).toMatchObject({ changedAttributes: ['displayName'] });
    expect(events[1]?.data).toEqual({ groupId: 'g1', added: ['c'], removed: ['a'] });
    const next = events.reduce(evolveGroup, state);
    expect(next.status === 'present' && [...next.memberIds].sort()).toEqual(['b', 'c']);
  });

  it('removing non-members decides nothing; deleting needs a group', () => {
    expect(decideGroup({ kind: 'RemoveMembers', userIds: ['z'] }, groupStateOf(group(['a'])))).toEqual([]);
    expect(decideGroup({ kind: 'RemoveMembers', userIds: ['a', 'a'] }, groupStateOf(group(['a'])))[0]?.data).toEqual({ groupId: 'g1', added: [], removed: ['a'] });
    expect(decideGroup({ kind: 'DeleteGroup' }, groupStateOf(group([])))[0]?.type).toBe('GroupDeleted');
    expect(() => decideGroup({ kind: 'DeleteGroup' }, INITIAL_GROUP_STATE)).toThrow(ScimError);
    expect(withoutMembers(group(['a', 'b']), new Set(['a']))['members']).toEqual([{ value: 'b' }]);
  });
});

describe('directory decider', () => {
  const created = decideDirectory({ kind: 'CreateDirectory', directoryId: 'd1', organizationId: 'o1', provider: 'onelogin', name: null }, INITIAL_DIRECTORY_STATE);
  const issued = decideDirectory({ kind: 'IssueToken', tokenId: 't1', lastFour: 'abcd', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null }, foldDirectory(created));
  const state = foldDirectory([...created, ...issued]);

  it('enables and disables idempotently', () => {
    expect(decideDirectory({ kind: 'EnableDirectory' }, state)).toEqual([]);
    const disabled = decideDirectory({ kind: 'DisableDirectory' }, state);
    expect(disabled.map((e) => e.type)).toEqual(['DirectoryDisabled']);
    expect(decideDirectory({ kind: 'DisableDirectory' }, foldDirectory([...created, ...issued, ...disabled]))).toEqual([]);
  });

  it('revokes known tokens once and never carries a secret', () => {
    const revoked = decideDirectory({ kind: 'RevokeToken', tokenId: 't1' }, state);
    expect(revoked[0]).toMatchObject({ type: 'DirectoryTokenRevoked', data: { tokenId: 't1', lastFour: 'abcd' } });
    expect(decideDirectory({ kind: 'RevokeToken', tokenId: 't1' }, foldDirectory([...created, ...issued, ...revoked]))).toEqual([]);
    expect(() => decideDirectory({ kind: 'RevokeToken', tokenId: 'nope' }, state)).toThrow(DirectoryRejection);
    expect(Object.keys(issued[0]?.data ?? {}).sort()).toEqual(Object.keys(EXAMPLES.DirectoryTokenIssued.event.data).sort());
  });

  it('refuses commands on a directory that does not exist', () => {
    expect(() => decideDirectory({ kind: 'EnableDirectory' }, INITIAL_DIRECTORY_STATE)).toThrow(DirectoryRejection);
  });

  it('deletes in two steps: requested (private), then DirectoryDeleted; nothing else is allowed in between or after', () => {
    const counts = { deprovisionedUsers: 2, deletedGroups: 1 };
    expect(() => decideDirectory({ kind: 'CompleteDeletion', ...counts }, state)).toThrow(/not requested/);
    const requested = decideDirectory({ kind: 'RequestDeletion' }, state);
    expect(requested).toEqual([{ type: 'DirectoryDeletionRequested', schemaVersion: 1, data: { directoryId: 'd1' } }]);
    const deleting = foldDirectory([...created, ...issued, ...requested]);
    expect(decideDirectory({ kind: 'RequestDeletion' }, deleting)).toEqual([]);
    for (const command of [{ kind: 'EnableDirectory' }, { kind: 'DisableDirectory' }, { kind: 'RevokeToken', tokenId: 't1' }] as const) {
      expect(() => decideDirectory(command, deleting)).toThrow(/directory not found/);
    }
    const deleted = decideDirectory({ kind: 'CompleteDeletion', ...counts }, deleting);
    expect(deleted).toEqual([{ type: 'DirectoryDeleted', schemaVersion: 1, data: { directoryId: 'd1', organizationId: 'o1', ...counts } }]);
    const gone = foldDirectory([...created, ...issued, ...requested, ...deleted]);
    expect(gone).toEqual({ status: 'deleted', directoryId: 'd1', organizationId: 'o1' });
    expect(decideDirectory({ kind: 'CompleteDeletion', ...counts }, gone)).toEqual([]);
    expect(() => decideDirectory({ kind: 'IssueToken', tokenId: 't2', lastFour: 'wxyz', createdAt: '2026-01-02T00:00:00.000Z', expiresAt: null }, gone)).toThrow(DirectoryRejection);
  });
});

describe('changedAttributes', () => {
  it('names top-level and extension attributes, ignoring bookkeeping and the given names', () => {
    const before = { id: 'x', meta: { v: 1 }, title: 'a', active: true, [ENTERPRISE]: { department: 'Sales', costCenter: '1' } };
    const after = { id: 'x', meta: { v: 2 }, title: 'b', active: false, nickName: 'J', [ENTERPRISE]: { department: 'Ops', costCenter: '1' } };
    expect(changedAttributes(before, after, ['active'])).toEqual(['nickName', 'title', `${ENTERPRISE}:department`]);
  });
});
