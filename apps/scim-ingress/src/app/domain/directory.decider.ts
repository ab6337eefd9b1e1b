import type {
  DirectoryCreated,
  DirectoryDeleted,
  DirectoryDisabled,
  DirectoryEnabled,
  DirectoryTokenIssued,
  DirectoryTokenRevoked,
} from '@scimbridge/contracts';
import { DIRECTORY_DELETION_REQUESTED } from './private-events';

/*
 * The Directory aggregate (stream `directory:{id}`): its provider, whether the IdP may sync, and its
 * bearer tokens. The token secret never enters an event; the ingress keeps only its hash.
 */

/**
 * Ingress-private (never published, not in the contract): a deletion began. From here the directory is
 * gone for IdPs and the management API, while its users and groups are deprovisioned in the background;
 * DirectoryDeleted, the public last event, follows once they all are.
 */
export interface DirectoryDeletionRequested {
  readonly type: typeof DIRECTORY_DELETION_REQUESTED;
  readonly schemaVersion: 1;
  readonly data: { readonly directoryId: string };
}

export type DirectoryEvent =
  | DirectoryCreated
  | DirectoryTokenIssued
  | DirectoryTokenRevoked
  | DirectoryEnabled
  | DirectoryDisabled
  | DirectoryDeletionRequested
  | DirectoryDeleted;

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
      /** A deletion began: only its completion is still allowed. */
      readonly deleting: boolean;
    }
  | { readonly status: 'deleted'; readonly directoryId: string; readonly organizationId: string };

export const INITIAL_DIRECTORY_STATE: DirectoryState = { status: 'absent' };

export type DirectoryCommand =
  | { readonly kind: 'CreateDirectory'; readonly directoryId: string; readonly organizationId: string; readonly provider: string; readonly name: string | null }
  | { readonly kind: 'IssueToken'; readonly tokenId: string; readonly lastFour: string; readonly createdAt: string; readonly expiresAt: string | null }
  | { readonly kind: 'RevokeToken'; readonly tokenId: string }
  | { readonly kind: 'EnableDirectory' }
  | { readonly kind: 'DisableDirectory' }
  | { readonly kind: 'RequestDeletion' }
  | { readonly kind: 'CompleteDeletion'; readonly deprovisionedUsers: number; readonly deletedGroups: number };

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
  if (state.status === 'deleted' && (command.kind === 'RequestDeletion' || command.kind === 'CompleteDeletion')) return [];
  if (state.status !== 'present') throw new DirectoryRejection('not_found', 'directory not found');
  const directoryId = state.directoryId;
  if (state.deleting) {
    if (command.kind === 'RequestDeletion') return [];
    if (command.kind !== 'CompleteDeletion') throw new DirectoryRejection('not_found', 'directory not found');
  }
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
    case 'RequestDeletion':
      return [{ type: DIRECTORY_DELETION_REQUESTED, schemaVersion: 1, data: { directoryId } }];
    case 'CompleteDeletion': {
      // Only after a request: the users and groups must have been deprovisioned first.
      if (!state.deleting) throw new DirectoryRejection('conflict', 'the directory’s deletion was not requested');
      const { deprovisionedUsers, deletedGroups } = command;
      return [{ type: 'DirectoryDeleted', schemaVersion: 1, data: { directoryId, organizationId: state.organizationId, deprovisionedUsers, deletedGroups } }];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

export function evolveDirectory(state: DirectoryState, event: DirectoryEvent): DirectoryState {
  if (event.type === 'DirectoryCreated') {
    const { directoryId, organizationId, provider, name } = event.data;
    return { status: 'present', directoryId, organizationId, provider, name, enabled: true, tokens: new Map(), deleting: false };
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
    case DIRECTORY_DELETION_REQUESTED:
      return { ...state, deleting: true };
    case 'DirectoryDeleted':
      return { status: 'deleted', directoryId: state.directoryId, organizationId: state.organizationId };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export function foldDirectory(events: readonly DirectoryEvent[]): DirectoryState {
  return events.reduce(evolveDirectory, INITIAL_DIRECTORY_STATE);
}
