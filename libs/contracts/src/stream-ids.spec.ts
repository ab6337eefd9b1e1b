import { aggregateIdOf, parseStreamId, streamIds } from './stream-ids';

describe('stream ids', () => {
  it('builds the documented stream ids', () => {
    expect(streamIds.user('d1', 'u1')).toBe('directory_user:d1:u1');
    expect(streamIds.group('d1', 'g1')).toBe('directory_group:d1:g1');
    expect(streamIds.directory('d1')).toBe('directory:d1');
    expect(streamIds.roleMapping('d1')).toBe('role_mapping:d1');
    expect(streamIds.roleGrant('d1', 'u1')).toBe('role_grant:d1:u1');
    expect(streamIds.resync('d1', 'r1')).toBe('directory_resync:d1:r1');
  });

  it('parses what it builds', () => {
    expect(parseStreamId(streamIds.user('d1', 'u1'))).toEqual({ kind: 'user', directoryId: 'd1', userId: 'u1' });
    expect(parseStreamId(streamIds.group('d1', 'g1'))).toEqual({ kind: 'group', directoryId: 'd1', groupId: 'g1' });
    expect(parseStreamId(streamIds.directory('d1'))).toEqual({ kind: 'directory', directoryId: 'd1' });
    expect(parseStreamId(streamIds.roleMapping('d1'))).toEqual({ kind: 'roleMapping', directoryId: 'd1' });
    expect(parseStreamId(streamIds.roleGrant('d1', 'u1'))).toEqual({ kind: 'roleGrant', directoryId: 'd1', userId: 'u1' });
    expect(parseStreamId(streamIds.resync('d1', 'r1'))).toEqual({ kind: 'resync', directoryId: 'd1', resyncId: 'r1' });
  });

  it.each(['', 'directory', 'directory:', 'directory:d1:extra', 'directory_user:d1', 'directory_user:d1:u1:x', 'directory_user::u1', 'user:d1:u1', 'role_grant:d1:'])(
    'returns null for %j',
    (id) => {
      expect(parseStreamId(id)).toBeNull();
    },
  );

  it('refuses parts that would make the id ambiguous', () => {
    expect(() => streamIds.user('d1', 'a:b')).toThrow('userId must be a non-empty string without');
    expect(() => streamIds.directory('')).toThrow('directoryId must be a non-empty string without');
  });

  it('names the aggregate a stream is about', () => {
    expect(aggregateIdOf({ kind: 'group', directoryId: 'd1', groupId: 'g1' })).toBe('g1');
    expect(aggregateIdOf({ kind: 'roleMapping', directoryId: 'd1' })).toBe('d1');
    expect(aggregateIdOf({ kind: 'roleGrant', directoryId: 'd1', userId: 'u1' })).toBe('u1');
    expect(aggregateIdOf({ kind: 'resync', directoryId: 'd1', resyncId: 'r1' })).toBe('r1');
  });
});
