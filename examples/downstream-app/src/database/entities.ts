import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/*
 * The app's own tables, in its own schema. The migration in ./migrations creates them; `synchronize` is
 * never used. Ids are scimbridge's SCIM ids (`userId`, `groupId`): stable for a resource's lifetime,
 * unique within a directory, so every key starts with the directory id.
 */

/** One user of a customer's directory, as this app needs it. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('text', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'user_id' })
  userId!: string;

  @Column('text', { name: 'organization_id' })
  organizationId!: string;

  /**
   * Null only while the row exists because a role event arrived before the user's UserProvisioned:
   * the two come on different topics, with no order between them.
   */
  @Column('text', { name: 'user_name', nullable: true })
  userName!: string | null;

  @Column('text', { nullable: true })
  email!: string | null;

  @Column('text', { name: 'display_name', nullable: true })
  displayName!: string | null;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  /** Deactivated (suspended) users stay, with active = false; the IdP may reactivate them. */
  @Column('boolean')
  active!: boolean;

  /** Set when the user was deleted in the directory (UserDeprovisioned); the row is kept for audit. */
  @Column('timestamptz', { name: 'deprovisioned_at', nullable: true })
  deprovisionedAt!: Date | null;

  /** Current roles, sorted: exactly the RoleAssigned minus the RoleRevoked received for the user. */
  @Column('text', { array: true })
  roles!: string[];

  /** Groups the user is a member of, sorted. */
  @Column('text', { name: 'group_ids', array: true })
  groupIds!: string[];

  /** The last full-state resync during which the user was reported or changed (drift detection). */
  @Column('text', { name: 'last_resync_id', nullable: true })
  lastResyncId!: string | null;

  /** The `time` of the last event applied to the row. */
  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'groups' })
export class GroupEntity {
  @PrimaryColumn('text', { name: 'directory_id' })
  directoryId!: string;

  @PrimaryColumn('text', { name: 'group_id' })
  groupId!: string;

  @Column('text', { name: 'display_name' })
  displayName!: string;

  @Column('text', { name: 'last_resync_id', nullable: true })
  lastResyncId!: string | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'directories' })
export class DirectoryEntity {
  @PrimaryColumn('text', { name: 'directory_id' })
  directoryId!: string;

  @Column('text', { name: 'organization_id' })
  organizationId!: string;

  @Column('text', { nullable: true })
  provider!: string | null;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('boolean')
  enabled!: boolean;

  /** The full-state resync in progress, between DirectoryResyncStarted and DirectoryResyncCompleted. */
  @Column('text', { name: 'resync_id', nullable: true })
  resyncId!: string | null;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

/**
 * Progress per event stream (the envelope's `subject`): the last `sequence` applied. Written in the same
 * transaction as the change itself, so "applied" and "recorded as applied" can never disagree.
 */
@Entity({ name: 'subject_positions' })
export class SubjectPositionEntity {
  @PrimaryColumn('text')
  subject!: string;

  @Column('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  sequence!: number;

  @Column('uuid', { name: 'event_id' })
  eventId!: string;

  @Column('timestamptz', { name: 'applied_at' })
  appliedAt!: Date;
}

/** Messages the app could not read (broken, or newer than its @scimbridge/contracts): kept aside, never dropped silently. */
@Entity({ name: 'rejected_messages' })
export class RejectedMessageEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  /** Where it came from: `kafka:<topic>/<partition>@<offset>` or `webhook:<webhook-id>`. */
  @Column('text')
  origin!: string;

  @Column('text')
  reason!: string;

  @Column('text', { nullable: true })
  payload!: string | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt!: Date;
}

export const ENTITIES = [UserEntity, GroupEntity, DirectoryEntity, SubjectPositionEntity, RejectedMessageEntity];
