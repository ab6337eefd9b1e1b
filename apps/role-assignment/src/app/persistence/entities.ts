import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/*
 * The service's tables (schema `role_assignment`), created by the migrations next to this file, never by
 * `synchronize`. Two kinds:
 *  - command side, written by the management API in the same transaction as its events: the roles
 *    catalog and each directory's mapping set (what a GET answers right after a PUT);
 *  - projection side, written only by the role-grant projection from the Kafka topics: the directories,
 *    users, groups and memberships it has seen, the mappings as applied, and the grants it has published.
 * The projection writes with set-based SQL through the runner's transaction; these entities serve reads.
 */

/** Organizations we know exist: from their directories' events, or confirmed by the ingress. */
@Entity({ name: 'known_organizations' })
export class KnownOrganization {
  @PrimaryColumn('uuid', { name: 'organization_id' })
  organizationId!: string;

  /** Version of the organization's private `role_catalog:<id>` stream (0: no catalog yet). */
  @Column('int', { name: 'catalog_version' })
  catalogVersion!: number;
}

@Entity({ name: 'role_catalog' })
export class CatalogRole {
  @PrimaryColumn('uuid', { name: 'organization_id' })
  organizationId!: string;

  @PrimaryColumn('text', { name: 'role_key' })
  key!: string;

  @Column('text', { name: 'display_name' })
  displayName!: string;

  @Column('text', { nullable: true })
  description!: string | null;

  /** Order in the catalog as the app sent it. */
  @Column('int')
  position!: number;
}

/** Command side: the directory's current mapping set, as the last PUT stored it. */
@Entity({ name: 'mapping_sets' })
export class MappingSet {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  /** Version of the directory's `role_mapping:<id>` stream. */
  @Column('int')
  version!: number;

  @Column('jsonb')
  mappings!: { groupId: string; roles: string[] }[];

  @Column('text', { name: 'default_role', nullable: true })
  defaultRole!: string | null;

  @Column('text', { name: 'default_applies_to', nullable: true })
  defaultAppliesTo!: 'unassigned' | 'everyone' | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

/** Projection side: a directory (from DirectoryCreated) and the default role as last applied. */
@Entity({ name: 'known_directories' })
@Index('known_directories_organization_idx', ['organizationId'])
export class KnownDirectory {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('text')
  provider!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('text', { name: 'default_role', nullable: true })
  defaultRole!: string | null;

  @Column('text', { name: 'default_applies_to', nullable: true })
  defaultAppliesTo!: 'unassigned' | 'everyone' | null;

  /** Set by DirectoryDeleted: the row stays as a tombstone; the API treats the directory as unknown. */
  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;
}

@Entity({ name: 'directory_users' })
export class DirectoryUser {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;

  @Column('text', { name: 'user_name' })
  userName!: string;

  @Column('boolean')
  active!: boolean;
}

@Entity({ name: 'directory_groups' })
export class DirectoryGroup {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @Column('text', { name: 'display_name' })
  displayName!: string;
}

@Entity({ name: 'group_members' })
@Index('group_members_user_idx', ['directoryId', 'userId'])
export class GroupMember {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;
}

/** Projection side: the mappings as last applied from scim.role-mapping.events. */
@Entity({ name: 'group_roles' })
export class GroupRole {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('text', { name: 'role_key' })
  role!: string;
}

/** What has been published: a user holds `role` since RoleAssigned, until RoleRevoked. */
@Entity({ name: 'role_grants' })
export class RoleGrant {
  @PrimaryColumn('uuid', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;

  @PrimaryColumn('text', { name: 'role_key' })
  role!: string;

  /** The groups that grant it now, sorted; [] when only the default role does. */
  @Column('text', { name: 'via_group_ids', array: true })
  viaGroupIds!: string[];

  /** The time of the event that caused the RoleAssigned. */
  @Column('timestamptz', { name: 'granted_at' })
  grantedAt!: Date;
}

export const ROLE_ASSIGNMENT_ENTITIES = [KnownOrganization, CatalogRole, MappingSet, KnownDirectory, DirectoryUser, DirectoryGroup, GroupMember, GroupRole, RoleGrant];
