import type { DirectoryEvent } from './directory-events';
import type { RoleEvent } from './role-events';
import type { RoleMappingEvent } from './role-mapping-events';
import {
  DIRECTORY_CREATED_V1_SCHEMA,
  DIRECTORY_DELETED_V1_SCHEMA,
  DIRECTORY_RESYNC_COMPLETED_V1_SCHEMA,
  DIRECTORY_RESYNC_STARTED_V1_SCHEMA,
  GROUP_RESYNCED_V1_SCHEMA,
  USER_RESYNCED_V1_SCHEMA,
  DIRECTORY_DISABLED_V1_SCHEMA,
  DIRECTORY_ENABLED_V1_SCHEMA,
  DIRECTORY_TOKEN_ISSUED_V1_SCHEMA,
  DIRECTORY_TOKEN_REVOKED_V1_SCHEMA,
  GROUP_CREATED_V1_SCHEMA,
  GROUP_DELETED_V1_SCHEMA,
  GROUP_MEMBERSHIP_CHANGED_V1_SCHEMA,
  GROUP_UPDATED_V1_SCHEMA,
  USER_DEACTIVATED_V1_SCHEMA,
  USER_DEPROVISIONED_V1_SCHEMA,
  USER_PROVISIONED_V1_SCHEMA,
  USER_REACTIVATED_V1_SCHEMA,
  USER_UPDATED_V1_SCHEMA,
} from './schemas/directory-events.schema';
import type { JsonSchema } from './schemas/json-schema';
import { ROLE_ASSIGNED_V1_SCHEMA, ROLE_REVOKED_V1_SCHEMA, USER_ROLES_RESYNCED_V1_SCHEMA } from './schemas/role-events.schema';
import { ROLE_MAPPINGS_CHANGED_V1_SCHEMA, ROLE_MAPPINGS_CHANGED_V2_SCHEMA } from './schemas/role-mapping-events.schema';
import type { StreamKind } from './stream-ids';
import { Topics, type TopicName } from './topics';

/** Every event in its current shape: what producers write and what parseEnvelope returns. */
export type ContractEvent = DirectoryEvent | RoleMappingEvent | RoleEvent;
export type EventType = ContractEvent['type'];
/** The current data shape of one event type. */
export type EventDataOf<T extends EventType> = Extract<ContractEvent, { type: T }>['data'];

export interface EventCatalogEntry {
  readonly topic: TopicName;
  /** The kind of stream (envelope `subject`) the event is appended to. */
  readonly stream: StreamKind;
  readonly latestVersion: number;
  /** One schema per version, 1..latestVersion; old versions stay forever so stored events still validate. */
  readonly schemas: Readonly<Record<number, JsonSchema>>;
}

const entry = (topic: TopicName, stream: StreamKind, schemas: Record<number, JsonSchema>): EventCatalogEntry => ({
  topic,
  stream,
  latestVersion: Math.max(...Object.keys(schemas).map(Number)),
  schemas,
});

// Record<EventType, ...> makes the compiler refuse a catalog that misses an event type.
export const EVENT_CATALOG: Readonly<Record<EventType, EventCatalogEntry>> = {
  UserProvisioned: entry(Topics.directoryEvents, 'user', { 1: USER_PROVISIONED_V1_SCHEMA }),
  UserUpdated: entry(Topics.directoryEvents, 'user', { 1: USER_UPDATED_V1_SCHEMA }),
  UserDeactivated: entry(Topics.directoryEvents, 'user', { 1: USER_DEACTIVATED_V1_SCHEMA }),
  UserReactivated: entry(Topics.directoryEvents, 'user', { 1: USER_REACTIVATED_V1_SCHEMA }),
  UserDeprovisioned: entry(Topics.directoryEvents, 'user', { 1: USER_DEPROVISIONED_V1_SCHEMA }),
  GroupCreated: entry(Topics.directoryEvents, 'group', { 1: GROUP_CREATED_V1_SCHEMA }),
  GroupUpdated: entry(Topics.directoryEvents, 'group', { 1: GROUP_UPDATED_V1_SCHEMA }),
  GroupDeleted: entry(Topics.directoryEvents, 'group', { 1: GROUP_DELETED_V1_SCHEMA }),
  GroupMembershipChanged: entry(Topics.directoryEvents, 'group', { 1: GROUP_MEMBERSHIP_CHANGED_V1_SCHEMA }),
  DirectoryCreated: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_CREATED_V1_SCHEMA }),
  DirectoryTokenIssued: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_TOKEN_ISSUED_V1_SCHEMA }),
  DirectoryTokenRevoked: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_TOKEN_REVOKED_V1_SCHEMA }),
  DirectoryEnabled: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_ENABLED_V1_SCHEMA }),
  DirectoryDisabled: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_DISABLED_V1_SCHEMA }),
  DirectoryDeleted: entry(Topics.directoryEvents, 'directory', { 1: DIRECTORY_DELETED_V1_SCHEMA }),
  DirectoryResyncStarted: entry(Topics.directoryEvents, 'resync', { 1: DIRECTORY_RESYNC_STARTED_V1_SCHEMA }),
  UserResynced: entry(Topics.directoryEvents, 'resync', { 1: USER_RESYNCED_V1_SCHEMA }),
  GroupResynced: entry(Topics.directoryEvents, 'resync', { 1: GROUP_RESYNCED_V1_SCHEMA }),
  DirectoryResyncCompleted: entry(Topics.directoryEvents, 'resync', { 1: DIRECTORY_RESYNC_COMPLETED_V1_SCHEMA }),
  RoleMappingsChanged: entry(Topics.roleMappingEvents, 'roleMapping', { 1: ROLE_MAPPINGS_CHANGED_V1_SCHEMA, 2: ROLE_MAPPINGS_CHANGED_V2_SCHEMA }),
  RoleAssigned: entry(Topics.roleEvents, 'roleGrant', { 1: ROLE_ASSIGNED_V1_SCHEMA }),
  RoleRevoked: entry(Topics.roleEvents, 'roleGrant', { 1: ROLE_REVOKED_V1_SCHEMA }),
  UserRolesResynced: entry(Topics.roleEvents, 'roleGrant', { 1: USER_ROLES_RESYNCED_V1_SCHEMA }),
};

export const EVENT_TYPES: readonly EventType[] = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(x: string): x is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CATALOG, x);
}

export function topicFor(type: EventType): TopicName {
  return EVENT_CATALOG[type].topic;
}

export function latestVersionOf(type: EventType): number {
  return EVENT_CATALOG[type].latestVersion;
}

/** The event types published on one topic, e.g. to route a consumer's switch. */
export function eventTypesOn(topic: TopicName): EventType[] {
  return EVENT_TYPES.filter((type) => EVENT_CATALOG[type].topic === topic);
}

/** The schema of one event type and version, or undefined for an unknown pair. */
export function schemaFor(type: string, version: number): JsonSchema | undefined {
  return isEventType(type) ? EVENT_CATALOG[type].schemas[version] : undefined;
}
