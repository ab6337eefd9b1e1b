/**
 * Kafka topics are the public contract with downstream apps (see docs/events.md once events land).
 * Names never change in place; a breaking change gets a new topic or a new event version.
 */
export const Topics = {
  /** Directory facts emitted by scim-ingress: users, groups, memberships, directory lifecycle. */
  directoryEvents: 'scim.directory.events',
  /** Group-to-role mapping changes made through the management API. */
  roleMappingEvents: 'scim.role-mapping.events',
  /** RoleAssigned / RoleRevoked projected by role-assignment for downstream apps. */
  roleEvents: 'scim.role.events',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Every message on every topic is keyed by directory id, so one directory's events stay in order. */
export const messageKeyFor = (directoryId: string): string => directoryId;
