import {
  userStateFromResource,
  type UserDeactivated,
  type UserDeprovisioned,
  type UserProvisioned,
  type UserReactivated,
  type UserReferenceV1,
  type UserUpdated,
} from '@scimbridge/contracts';
import { ScimError } from '@scimbridge/scim';
import { changedAttributes, type Resource } from './resource-diff';

/*
 * The User aggregate as a pure decider (decide/evolve): no I/O, no clock. The canonical resource in a
 * command is already validated and stamped with its meta by the caller; the decider only decides which
 * facts (events) follow from it. An update that changes nothing yields no event: IdPs resend unchanged
 * data all the time, and downstream apps must not see noise.
 */

export type UserEvent = UserProvisioned | UserUpdated | UserDeactivated | UserReactivated | UserDeprovisioned;

export type UserState =
  | { readonly status: 'absent' }
  | { readonly status: 'present'; readonly resource: Resource; readonly active: boolean }
  | { readonly status: 'deprovisioned' };

export const INITIAL_USER_STATE: UserState = { status: 'absent' };

export type UserCommand =
  | { readonly kind: 'ProvisionUser'; readonly resource: Resource }
  | { readonly kind: 'ReplaceUser'; readonly resource: Resource }
  | { readonly kind: 'DeprovisionUser' };

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.kind) {
    case 'ProvisionUser': {
      if (state.status !== 'absent') throw ScimError.uniqueness('a user with this id already exists');
      const data = userStateFromResource(command.resource);
      const events: UserEvent[] = [{ type: 'UserProvisioned', schemaVersion: 1, data }];
      return events;
    }
    case 'ReplaceUser': {
      if (state.status !== 'present') throw ScimError.notFound('User not found');
      const next = userStateFromResource(command.resource);
      const events: UserEvent[] = [];
      const changed = changedAttributes(state.resource, command.resource, ['active']);
      if (changed.length > 0) events.push({ type: 'UserUpdated', schemaVersion: 1, data: { ...next, changedAttributes: changed } });
      if (state.active && !next.active) events.push({ type: 'UserDeactivated', schemaVersion: 1, data: referenceOf(command.resource) });
      if (!state.active && next.active) events.push({ type: 'UserReactivated', schemaVersion: 1, data: referenceOf(command.resource) });
      return events;
    }
    case 'DeprovisionUser': {
      if (state.status !== 'present') throw ScimError.notFound('User not found');
      return [{ type: 'UserDeprovisioned', schemaVersion: 1, data: referenceOf(state.resource) }];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserProvisioned':
    case 'UserUpdated':
      return { status: 'present', resource: event.data.resource, active: event.data.active };
    case 'UserDeactivated':
      return state.status === 'present' ? { ...state, active: false } : state;
    case 'UserReactivated':
      return state.status === 'present' ? { ...state, active: true } : state;
    case 'UserDeprovisioned':
      return { status: 'deprovisioned' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The state a stored resource stands for (the ingress keeps it next to the events, in the same transaction). */
export function userStateOf(resource: Resource): UserState {
  return { status: 'present', resource, active: resource['active'] !== false };
}

function referenceOf(resource: Resource): UserReferenceV1 {
  const state = userStateFromResource(resource);
  return { userId: state.userId, externalId: state.externalId, userName: state.userName };
}
