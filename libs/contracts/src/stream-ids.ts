/**
 * Event-store stream ids. They are also the envelope's `subject`, so consumers can track `sequence` per
 * stream; the format is part of the public contract and never changes in place.
 */
export type StreamKind = 'user' | 'group' | 'directory' | 'roleMapping' | 'roleGrant' | 'resync';

export type ParsedStreamId =
  | { readonly kind: 'user'; readonly directoryId: string; readonly userId: string }
  | { readonly kind: 'group'; readonly directoryId: string; readonly groupId: string }
  | { readonly kind: 'directory'; readonly directoryId: string }
  | { readonly kind: 'roleMapping'; readonly directoryId: string }
  | { readonly kind: 'roleGrant'; readonly directoryId: string; readonly userId: string }
  | { readonly kind: 'resync'; readonly directoryId: string; readonly resyncId: string };

/** The stream category prefix of each kind, as stored (`directory_user:...`). */
export const STREAM_PREFIXES: Readonly<Record<StreamKind, string>> = {
  user: 'directory_user',
  group: 'directory_group',
  directory: 'directory',
  roleMapping: 'role_mapping',
  roleGrant: 'role_grant',
  resync: 'directory_resync',
};

const KIND_BY_PREFIX = new Map<string, StreamKind>(
  (Object.entries(STREAM_PREFIXES) as [StreamKind, string][]).map(([kind, prefix]) => [prefix, kind]),
);

// `:` separates the parts, so an id containing one would make the stream id ambiguous.
function part(name: string, value: string): string {
  if (value.length === 0 || value.includes(':')) {
    throw new Error(`${name} must be a non-empty string without ':' to be part of a stream id, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const streamIds = {
  user: (directoryId: string, userId: string): string =>
    `${STREAM_PREFIXES.user}:${part('directoryId', directoryId)}:${part('userId', userId)}`,
  group: (directoryId: string, groupId: string): string =>
    `${STREAM_PREFIXES.group}:${part('directoryId', directoryId)}:${part('groupId', groupId)}`,
  directory: (directoryId: string): string => `${STREAM_PREFIXES.directory}:${part('directoryId', directoryId)}`,
  roleMapping: (directoryId: string): string => `${STREAM_PREFIXES.roleMapping}:${part('directoryId', directoryId)}`,
  roleGrant: (directoryId: string, userId: string): string =>
    `${STREAM_PREFIXES.roleGrant}:${part('directoryId', directoryId)}:${part('userId', userId)}`,
  /** One full-state resync of a directory: its Started, every UserResynced/GroupResynced, its Completed. */
  resync: (directoryId: string, resyncId: string): string =>
    `${STREAM_PREFIXES.resync}:${part('directoryId', directoryId)}:${part('resyncId', resyncId)}`,
} as const;

/** The parts of a stream id, or null when it is not one of ours. */
export function parseStreamId(id: string): ParsedStreamId | null {
  const parts = id.split(':');
  const kind = KIND_BY_PREFIX.get(parts[0] ?? '');
  if (kind === undefined || parts.slice(1).some((p) => p.length === 0)) return null;
  const [, directoryId, entityId] = parts;
  if (directoryId === undefined) return null;
  switch (kind) {
    case 'directory':
    case 'roleMapping':
      return parts.length === 2 ? { kind, directoryId } : null;
    case 'user':
    case 'roleGrant':
      return parts.length === 3 && entityId !== undefined ? { kind, directoryId, userId: entityId } : null;
    case 'group':
      return parts.length === 3 && entityId !== undefined ? { kind, directoryId, groupId: entityId } : null;
    case 'resync':
      return parts.length === 3 && entityId !== undefined ? { kind, directoryId, resyncId: entityId } : null;
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** The id of the aggregate a stream belongs to: the user, group or directory it is about. */
export function aggregateIdOf(stream: ParsedStreamId): string {
  switch (stream.kind) {
    case 'user':
    case 'roleGrant':
      return stream.userId;
    case 'group':
      return stream.groupId;
    case 'resync':
      return stream.resyncId;
    case 'directory':
    case 'roleMapping':
      return stream.directoryId;
    default: {
      const unreachable: never = stream;
      return unreachable;
    }
  }
}
