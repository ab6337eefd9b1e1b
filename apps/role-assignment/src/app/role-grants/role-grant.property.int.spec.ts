import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { groupStateFromResource, latestVersionOf, streamIds, userStateFromResource, validateEventData, type DefaultRoleV2, type EventType } from '@scimbridge/contracts';
import { PostgresEventStore } from '@scimbridge/event-store';
import type { ProjectedEvent } from '@scimbridge/messaging';
import { BaseServiceConfig, loadConfig, migrateReadModels, readModelDataSourceOptions, schemaFor } from '@scimbridge/service-kit';
import { requiredEnv } from '@scimbridge/testing';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { effectiveRoles, foldGrants, type DirectoryState } from '../domain/effective-roles';
import { ROLE_ASSIGNMENT_ENTITIES } from '../persistence/entities';
import { ROLE_ASSIGNMENT_MIGRATIONS } from '../persistence/migrations';
import { RoleGrantProjection } from './role-grant.projection';

/*
 * For random sequences of directory events and mapping changes, applied by the real projection to the
 * real tables on PostgreSQL (each in its own transaction, as the runner would), the role events it
 * appends, folded, equal the roles computed from scratch from the final state by the pure rule — and the
 * published grants name exactly the groups that grant them. Kafka is not involved: the delivery path has
 * its own tests; this one is about the projection's set-based SQL.
 */

const serviceName = `ra-prop-${randomUUID().slice(0, 8)}`;
const schema = schemaFor(serviceName);
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 4, options: `-c search_path=${schema},public` });
const store = new PostgresEventStore(pool, { schema });
const projection = new RoleGrantProjection(store);

beforeAll(async () => {
  const config = loadConfig(serviceName, BaseServiceConfig, { ...process.env, LOG_LEVEL: 'silent' });
  const dataSource = await new DataSource(readModelDataSourceOptions(serviceName, config, { entities: ROLE_ASSIGNMENT_ENTITIES, migrations: ROLE_ASSIGNMENT_MIGRATIONS })).initialize();
  try {
    await migrateReadModels(dataSource);
  } finally {
    await dataSource.destroy();
  }
  await store.migrate();
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

const USERS = 6;
const GROUPS = 4;
const ROLES = ['r0', 'r1', 'r2', 'r3'];

/** What an admin or an IdP does; the model turns it into the events the ingress would emit (or none). */
type Intent =
  | { op: 'provision'; user: number; active: boolean }
  | { op: 'deprovision'; user: number }
  | { op: 'setActive'; user: number; active: boolean }
  | { op: 'createGroup'; group: number; members: number[] }
  | { op: 'deleteGroup'; group: number }
  | { op: 'membership'; group: number; add: number[]; remove: number[] }
  | { op: 'mappings'; mappings: { group: number; roles: string[] }[]; defaultRole: DefaultRoleV2 | null };

const userIndex = fc.nat({ max: USERS - 1 });
const groupIndex = fc.nat({ max: GROUPS - 1 });
const userSet = fc.uniqueArray(userIndex, { maxLength: USERS });
const intent: fc.Arbitrary<Intent> = fc.oneof(
  fc.record({ op: fc.constant('provision' as const), user: userIndex, active: fc.boolean() }),
  fc.record({ op: fc.constant('deprovision' as const), user: userIndex }),
  fc.record({ op: fc.constant('setActive' as const), user: userIndex, active: fc.boolean() }),
  fc.record({ op: fc.constant('createGroup' as const), group: groupIndex, members: userSet }),
  fc.record({ op: fc.constant('deleteGroup' as const), group: groupIndex }),
  fc.record({ op: fc.constant('membership' as const), group: groupIndex, add: userSet, remove: userSet }),
  fc.record({
    op: fc.constant('mappings' as const),
    mappings: fc.uniqueArray(fc.record({ group: groupIndex, roles: fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1 }) }), { selector: (m) => m.group, maxLength: GROUPS }),
    defaultRole: fc.option(fc.record({ role: fc.constantFrom(...ROLES), appliesTo: fc.constantFrom('unassigned' as const, 'everyone' as const) }), { nil: null }),
  }),
);

/**
 * A directory that starts populated (every user provisioned, every group created with some members, a
 * mapping set), then goes through random changes: so most steps find something to change.
 */
const scenario: fc.Arbitrary<Intent[]> = fc
  .tuple(
    fc.array(fc.nat({ max: 9 }).map((n) => n < 8), { minLength: USERS, maxLength: USERS }),
    fc.array(userSet, { minLength: GROUPS, maxLength: GROUPS }),
    intent.filter((i) => i.op === 'mappings'),
    fc.array(intent, { minLength: 1, maxLength: 40 }),
  )
  .map(([active, members, mapping, steps]) => [
    ...active.map((a, user): Intent => ({ op: 'provision', user, active: a })),
    ...members.map((m, group): Intent => ({ op: 'createGroup', group, members: m })),
    mapping,
    ...steps,
  ]);

/** The directory as the ingress keeps it, emitting what the ingress emits for each intent. */
class DirectoryModel {
  readonly directoryId = randomUUID();
  readonly organizationId = randomUUID();
  readonly userIds = Array.from({ length: USERS }, () => randomUUID());
  readonly groupIds = Array.from({ length: GROUPS }, () => randomUUID());
  readonly users = new Map<string, boolean>();
  readonly members = new Map<string, Set<string>>();
  readonly groupRoles = new Map<string, Set<string>>();
  defaultRole: DefaultRoleV2 | null = null;
  private readonly versions = new Map<string, number>();
  private clock = Date.UTC(2026, 0, 1);
  readonly events: ProjectedEvent[] = [];

  constructor() {
    this.emit('DirectoryCreated', streamIds.directory(this.directoryId), { directoryId: this.directoryId, organizationId: this.organizationId, provider: 'onelogin', name: null });
  }

  state(): DirectoryState {
    return { users: this.users, members: this.members, groupRoles: this.groupRoles, defaultRole: this.defaultRole };
  }

  apply(i: Intent): void {
    switch (i.op) {
      case 'provision': {
        const userId = this.userIds[i.user] as string;
        if (this.users.has(userId)) return;
        this.users.set(userId, i.active);
        const resource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: userId, userName: `user${i.user}@example.com`, active: i.active };
        this.emit('UserProvisioned', streamIds.user(this.directoryId, userId), userStateFromResource(resource));
        return;
      }
      case 'deprovision': {
        const userId = this.userIds[i.user] as string;
        if (!this.users.has(userId)) return;
        // As the ingress deletes: out of each group first, then the user.
        for (const [groupId, members] of this.members) {
          if (members.delete(userId)) this.emit('GroupMembershipChanged', streamIds.group(this.directoryId, groupId), { groupId, added: [], removed: [userId] });
        }
        this.users.delete(userId);
        this.emit('UserDeprovisioned', streamIds.user(this.directoryId, userId), { userId, externalId: null, userName: `user${i.user}@example.com` });
        return;
      }
      case 'setActive': {
        const userId = this.userIds[i.user] as string;
        if (!this.users.has(userId) || this.users.get(userId) === i.active) return;
        this.users.set(userId, i.active);
        this.emit(i.active ? 'UserReactivated' : 'UserDeactivated', streamIds.user(this.directoryId, userId), { userId, externalId: null, userName: `user${i.user}@example.com` });
        return;
      }
      case 'createGroup': {
        const groupId = this.groupIds[i.group] as string;
        if (this.members.has(groupId)) return;
        const memberIds = i.members.map((u) => this.userIds[u] as string).filter((u) => this.users.has(u));
        this.members.set(groupId, new Set(memberIds));
        const resource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: groupId, displayName: `Group ${i.group}`, members: memberIds.map((value) => ({ value })) };
        this.emit('GroupCreated', streamIds.group(this.directoryId, groupId), groupStateFromResource(resource));
        return;
      }
      case 'deleteGroup': {
        const groupId = this.groupIds[i.group] as string;
        if (!this.members.delete(groupId)) return;
        this.emit('GroupDeleted', streamIds.group(this.directoryId, groupId), { groupId, externalId: null, displayName: `Group ${i.group}` });
        return;
      }
      case 'membership': {
        const groupId = this.groupIds[i.group] as string;
        const members = this.members.get(groupId);
        if (!members) return;
        const added = i.add.map((u) => this.userIds[u] as string).filter((u) => this.users.has(u) && !members.has(u));
        const removed = i.remove.map((u) => this.userIds[u] as string).filter((u) => members.has(u) && !added.includes(u));
        if (added.length + removed.length === 0) return;
        for (const u of added) members.add(u);
        for (const u of removed) members.delete(u);
        this.emit('GroupMembershipChanged', streamIds.group(this.directoryId, groupId), { groupId, added, removed });
        return;
      }
      case 'mappings': {
        this.groupRoles.clear();
        const mappings = [...i.mappings]
          .map((m) => ({ groupId: this.groupIds[m.group] as string, roles: [...m.roles].sort() }))
          .sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
        for (const m of mappings) this.groupRoles.set(m.groupId, new Set(m.roles));
        this.defaultRole = i.defaultRole;
        this.emit('RoleMappingsChanged', streamIds.roleMapping(this.directoryId), { directoryId: this.directoryId, mappings, defaultRole: i.defaultRole });
        return;
      }
      default: {
        const unreachable: never = i;
        throw new Error(`unknown intent ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private emit(type: EventType, subject: string, data: unknown): void {
    const version = latestVersionOf(type);
    const check = validateEventData(type, version, data);
    if (!check.ok) throw new Error(`the model emitted an invalid ${type}: ${check.errors.join('; ')}`);
    const sequence = (this.versions.get(subject) ?? 0) + 1;
    this.versions.set(subject, sequence);
    this.clock += 1_000;
    this.events.push({ id: randomUUID(), type, subject, sequence, data, directoryId: this.directoryId, organizationId: this.organizationId, time: new Date(this.clock).toISOString(), schemaVersion: version });
  }
}

async function applyAll(events: readonly ProjectedEvent[]): Promise<void> {
  for (const event of events) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await projection.apply(event, client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}

describe('role-grant projection (property)', () => {
  it('publishes role events whose fold equals the roles computed from scratch from the final state', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (intents) => {
        const model = new DirectoryModel();
        for (const i of intents) model.apply(i);
        await applyAll(model.events);

        const { rows } = await pool.query<{ type: 'RoleAssigned' | 'RoleRevoked'; data: { userId: string; role: string; viaGroupIds: string[] } }>(
          `SELECT type, data FROM events WHERE stream_id LIKE $1 ORDER BY transaction_id, global_position`,
          [`role_grant:${model.directoryId}:%`],
        );
        // The fold refuses an assignment of a role already held and a revocation of one not held.
        const folded = foldGrants(rows.map((r) => ({ type: r.type, userId: r.data.userId, role: r.data.role })));
        const expected = effectiveRoles(model.state());
        const asSets = (m: Map<string, Map<string, string[]>>): Record<string, string[]> =>
          Object.fromEntries([...m].map(([u, roles]) => [u, [...roles.keys()].sort()]).sort());
        expect(Object.fromEntries([...folded].map(([u, roles]) => [u, [...roles].sort()]).sort())).toEqual(asSets(expected));

        // The grants as stored name exactly the groups that grant them now.
        const { rows: grants } = await pool.query<{ user_id: string; role_key: string; via_group_ids: string[] }>(
          'SELECT user_id, role_key, via_group_ids FROM role_grants WHERE directory_id = $1',
          [model.directoryId],
        );
        const stored: Record<string, Record<string, string[]>> = {};
        for (const g of grants) (stored[g.user_id] ??= {})[g.role_key] = g.via_group_ids;
        const wanted: Record<string, Record<string, string[]>> = {};
        for (const [u, roles] of expected) wanted[u] = Object.fromEntries(roles);
        expect(stored).toEqual(wanted);
      }),
      { numRuns: 200 },
    );
  }, 300_000);
});
