import type { RecordedEvent, RelayMessage } from '@scimbridge/event-store';
import { contractsMessageMapper } from '@scimbridge/messaging';
import { ROLE_CATALOG_CHANGED } from '../domain/role-catalog.decider';

/** Stored events that cannot become a valid public message land here, with the reason (never dropped). */
export const ROLE_ASSIGNMENT_RELAY_DEAD_LETTER_TOPIC = 'role-assignment.relay.dlq';

/**
 * RoleMappingsChanged go to scim.role-mapping.events, RoleAssigned/RoleRevoked to scim.role.events (the
 * catalog routes by type); the private roles-catalog events stay in the store.
 */
export function roleAssignmentMessageMapper(serviceName: string): (event: RecordedEvent) => RelayMessage | null {
  const publicMapper = contractsMessageMapper(serviceName);
  return (event) => (event.type === ROLE_CATALOG_CHANGED ? null : publicMapper(event));
}
