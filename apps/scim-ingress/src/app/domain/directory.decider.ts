import type {
  DirectoryCreated,
  DirectoryDisabled,
  DirectoryEnabled,
  DirectoryTokenIssued,
  DirectoryTokenRevoked,
} from '@scimbridge/contracts';

/*
 * The Directory aggregate (stream `directory:{id}`): its provider, whether the IdP may sync, and its
 * bearer tokens. The token secret never enters an event; the ingress keeps only its hash.
 */

export type DirectoryEvent = DirectoryCreated | DirectoryTokenIssued | DirectoryTokenRevoked | DirectoryEnabled | DirectoryDisabled;

export interface TokenFacts {
  readonly tokenId: string;
  readonly lastFour: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revoked: boolean;
}

export type DirectoryState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'present';
      readonly directoryId: string;
      readonly organizationId: string;
      readonly provider: string;
      readonly name: string | null;
      readonly enabled: boolean;
      readonly tokens: ReadonlyMap<string, TokenFacts>;
    };

export const INITIAL_DIRECTORY_STATE: DirectoryState = { status: 'absent' };

export type DirectoryCommand =
  | { readonly kind: 'CreateDirectory'; readonly directoryId: string; readonly organizationId: string; readonly provider: string; readonly name: string | null }
  | { readonly kind: 'IssueToken'; readonly tokenId: string; readonly lastFour: string; readonly createdAt: string; readonly expiresAt: string | null }
  | { readonly kind: 'RevokeToken'; readonly tokenId: string }
  | { readonly kind: 'EnableDirectory' }
  | { readonly kind: 'DisableDirectory' };

/** A command the directory's current state does not allow; the management API maps `reason` to a status. */
export class DirectoryRejection extends Error {
  constructor(
    readonly reason: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryRejection';
  }
}

export function decideDirectory(command: DirectoryCommand, state: DirectoryState): DirectoryEvent[] {
  if (command.kind === 'CreateDirectory') {
    if (state.status !== 'absent') throw new DirectoryRejection('conflict', 'directory already exists');
    const { directoryId, organizationId, provider, name } = command;
    return [{ type: 'DirectoryCreated', schemaVersion: 1, data: { directoryId, organizationId, provider, name } }];
  }
  if (state.status !== 'present') throw new DirectoryRejection('not_found', 'directory not found');
  const directoryId = state.directoryId;
  switch (command.kind) {
    case 'IssueToken': {
      if (state.tokens.has(command.tokenId)) throw new DirectoryRejection('conflict', 'token id already used');
      const { tokenId, lastFour, createdAt, expiresAt } = command;
      return [{ type: 'DirectoryTokenIssued', schemaVersion: 1, data: { directoryId, tokenId, lastFour, createdAt, expiresAt } }];
    }
    case 'RevokeToken': {
      const token = state.tokens.get(command.tokenId);
      if (!token) throw new DirectoryRejection('not_found', 'token not found');
      if (token.revoked) return [];
      return [{ type: 'DirectoryTokenRevoked', schemaVersion: 1, data: { directoryId, tokenId: token.tokenId, lastFour: token.lastFour } }];
    }
    case 'EnableDirectory':
      return state.enabled ? [] : [{ type: 'DirectoryEnabled', schemaVersion: 1, data: { directoryId } }];
    case 'DisableDirectory':
      return state.enabled ? [{ type: 'DirectoryDisabled', schemaVersion: 1, data: { directoryId } }] : [];
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

export function evolveDirectory(state: DirectoryState, event: DirectoryEvent): DirectoryState {
  if (event.type === 'DirectoryCreated') {
    const { directoryId, organizationId, provider, name } = event.data;
    return { status: 'present', directoryId, organizationId, provider, name, enabled: true, tokens: new Map() };
  }
  if (state.status !== 'present') return state;
  switch (event.type) {
    case 'DirectoryTokenIssued': {
      const tokens = new Map(state.tokens);
      const { tokenId, lastFour, createdAt, expiresAt } = event.data;
      tokens.set(tokenId, { tokenId, lastFour, createdAt, expiresAt, revoked: false });
      return { ...state, tokens };
    }
    case 'DirectoryTokenRevoked': {
      const token = state.tokens.get(event.data.tokenId);
      if (!token) return state;
      const tokens = new Map(state.tokens);
      tokens.set(token.tokenId, { ...token, revoked: true });
      return { ...state, tokens };
    }
    case 'DirectoryEnabled':
      return { ...state, enabled: true };
    case 'DirectoryDisabled':
      return { ...state, enabled: false };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export function foldDirectory(events: readonly DirectoryEvent[]): DirectoryState {
  return events.reduce(evolveDirectory, INITIAL_DIRECTORY_STATE);
}
