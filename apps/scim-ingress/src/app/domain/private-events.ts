/**
 * Event types the ingress stores but never publishes: they are not part of the public contract
 * (docs/events.md), so they skip its schema check and the relay leaves them in the store.
 */
export const ORGANIZATION_CREATED = 'OrganizationCreated';
/** A directory's deletion began (see directory.decider). */
export const DIRECTORY_DELETION_REQUESTED = 'DirectoryDeletionRequested';

const PRIVATE_EVENT_TYPES: ReadonlySet<string> = new Set([ORGANIZATION_CREATED, DIRECTORY_DELETION_REQUESTED]);

export function isIngressPrivateEvent(type: string): boolean {
  return PRIVATE_EVENT_TYPES.has(type);
}
