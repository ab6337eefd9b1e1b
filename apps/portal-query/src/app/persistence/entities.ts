import { Column, Entity, PrimaryColumn } from 'typeorm';

/*
 * The read models as the query API sees them: views in schema `portal_query` over the current
 * generation's tables (see read-model.schema.ts), created by the migrations, never by `synchronize`.
 * The projection writes the generation tables with set-based SQL through the runner's transaction;
 * these entities serve reads (the list queries, with keyset conditions TypeORM's builder cannot say
 * well, are plain SQL on the same views).
 */

/** Directory overview: identity from DirectoryCreated, counters and sync times kept by the projection. */
@Entity({ name: 'directories' })
export class DirectoryOverviewRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  /** null until DirectoryCreated is applied (a role event of the directory may come first). */
  @Column('text', { nullable: true })
  provider!: string | null;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('boolean')
  enabled!: boolean;

  @Column('timestamptz', { name: 'created_at', nullable: true })
  createdAt!: Date | null;

  @Column('int', { name: 'users_active' })
  usersActive!: number;

  @Column('int', { name: 'users_inactive' })
  usersInactive!: number;

  @Column('int')
  groups!: number;

  @Column('text', { name: 'default_role', nullable: true })
  defaultRole!: string | null;

  @Column('text', { name: 'default_role_applies_to', nullable: true })
  defaultRoleAppliesTo!: 'unassigned' | 'everyone' | null;

  /** Time of the first user or group event. */
  @Column('timestamptz', { name: 'first_sync_at', nullable: true })
  firstSyncAt!: Date | null;

  /** Time of the latest user or group event: the last successful SCIM write. */
  @Column('timestamptz', { name: 'last_sync_at', nullable: true })
  lastSyncAt!: Date | null;

  @Column('timestamptz', { name: 'last_event_at', nullable: true })
  lastEventAt!: Date | null;

  @Column('uuid', { name: 'last_event_id', nullable: true })
  lastEventId!: string | null;

  @Column('text', { name: 'last_event_type', nullable: true })
  lastEventType!: string | null;

  /** Set by DirectoryDeleted: the row stays as a tombstone, and every query treats it as unknown. */
  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;
}

/** Users tab: normalised columns plus the IdP's canonical resource (`attributes`) as sent. */
@Entity({ name: 'users' })
export class UserRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  @Column('text', { name: 'user_name' })
  userName!: string;

  @Column('text', { name: 'display_name', nullable: true })
  displayName!: string | null;

  @Column('text', { name: 'given_name', nullable: true })
  givenName!: string | null;

  @Column('text', { name: 'family_name', nullable: true })
  familyName!: string | null;

  @Column('text', { name: 'primary_email', nullable: true })
  primaryEmail!: string | null;

  @Column('boolean')
  active!: boolean;

  @Column('text', { nullable: true })
  department!: string | null;

  @Column('text', { nullable: true })
  title!: string | null;

  @Column('jsonb')
  emails!: { value: string; type: string | null; primary: boolean }[];

  @Column('jsonb')
  attributes!: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @Column('text', { name: 'last_event_type' })
  lastEventType!: string;

  @Column('timestamptz', { name: 'last_event_at' })
  lastEventAt!: Date;
}

@Entity({ name: 'groups' })
export class GroupRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  @Column('text', { name: 'display_name' })
  displayName!: string;

  @Column('jsonb')
  attributes!: Record<string, unknown>;

  @Column('int', { name: 'member_count' })
  memberCount!: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'memberships' })
export class MembershipRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;
}

/** Mapped roles per group, as the last RoleMappingsChanged of the directory set them. */
@Entity({ name: 'group_roles' })
export class GroupRoleRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('text')
  role!: string;
}

/** A user's effective roles: RoleAssigned until RoleRevoked (scim.role.events). */
@Entity({ name: 'user_roles' })
export class UserRoleRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;

  @PrimaryColumn('text')
  role!: string;

  @Column('text', { name: 'via_group_ids', array: true })
  viaGroupIds!: string[];

  @Column('timestamptz', { name: 'granted_at' })
  grantedAt!: Date;
}

/** One event of the directory (any of the three topics). */
@Entity({ name: 'event_log' })
export class EventLogRow {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('uuid', { name: 'event_id' })
  eventId!: string;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('text')
  type!: string;

  @Column('text')
  topic!: string;

  @Column('text')
  subject!: string;

  @Column('int')
  sequence!: number;

  @Column('jsonb')
  data!: unknown;
}

/** The register of table-set generations; exactly one is `current` (the views point at it). */
@Entity({ name: 'read_model_generations' })
export class ReadModelGeneration {
  @PrimaryColumn('int')
  generation!: number;

  @Column('text', { name: 'schema_name' })
  schemaName!: string;

  @Column('text')
  state!: 'building' | 'current' | 'retired' | 'failed';

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'switched_at', nullable: true })
  switchedAt!: Date | null;
}

export const PORTAL_QUERY_ENTITIES = [DirectoryOverviewRow, UserRow, GroupRow, MembershipRow, GroupRoleRow, UserRoleRow, EventLogRow, ReadModelGeneration];
