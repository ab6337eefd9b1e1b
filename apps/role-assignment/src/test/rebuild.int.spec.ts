import { createKafkaClient, createServicePool, schemaFor } from '@scimbridge/service-kit';
import { Topics } from '@scimbridge/contracts';
import { requiredEnv, startServiceForTest, TEST_MANAGEMENT_KEY, waitFor, waitUntilReady } from '@scimbridge/testing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { roleAssignmentEntry, SERVICE_NAME } from '../app/app.module';
import { rebuildRoleAssignment } from '../app/rebuild/rebuild';
import { ROLE_GRANTS_PROJECTION } from '../app/role-grants/role-grant.projection';
import { DirectoryUnderTest, stackForSuite } from './role-assignment.test-support';

/*
 * The rebuild command on real infrastructure: after real SCIM traffic and mapping changes, the service's
 * state is thrown away and rebuilt from the topics (offset 0) and its own event store. It must end with
 * identical tables and publish nothing new; and the service must carry on from there.
 */

const suite = stackForSuite();
const schema = schemaFor(SERVICE_NAME);
const TABLES = ['known_organizations', 'role_catalog', 'mapping_sets', 'known_directories', 'directory_users', 'directory_groups', 'group_members', 'group_roles', 'role_grants'];

async function snapshot(pool: Pool): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    // Every column, rows in a fixed order: the whole table as text.
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}".${table} AS t ORDER BY 1`);
    tables[table] = rows.map((r) => r.row);
  }
  return tables;
}

async function storedEventCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".events`);
  return rows[0]?.n ?? 0;
}

/** Waits until the role-grant projection has applied every partition of its topics up to their current end. */
async function caughtUp(pool: Pool, kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  try {
    for (const topic of [Topics.directoryEvents, Topics.roleMappingEvents]) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  await waitFor('role-assignment to apply everything on its topics', async () => {
    const { rows } = await pool.query<{ key: string; next: string }>(
      `SELECT topic || '/' || partition AS key, next_offset::text AS next FROM "${schema}".projection_offsets WHERE projection = $1`,
      [ROLE_GRANTS_PROJECTION],
    );
    const done = new Map(rows.map((r) => [r.key, BigInt(r.next)]));
    const behind = [...ends].filter(([key, end]) => (done.get(key) ?? 0n) < end);
    if (behind.length > 0) throw new Error(`behind on ${behind.map(([k]) => k).join(', ')}`);
  }, { timeoutMs: 120_000, intervalMs: 200 });
  // Role events appended by that catch-up are published before the service stops (its relay drains).
}

describe('role-assignment rebuild', () => {
  it('ends in the same tables, publishes nothing new, refuses to run beside the service, and the service goes on afterwards', async () => {
    const stack = suite.stack;
    const d = await DirectoryUnderTest.create(stack);
    const users = [await d.user('r1@example.com'), await d.user('r2@example.com'), await d.user('r3@example.com'), await d.user('r4@example.com')];
    const [admins, staff, doomed] = [await d.group('Admins'), await d.group('Staff'), await d.group('Doomed')];
    const [u0, u1, u2, u3] = users as [string, string, string, string];
    await d.join(admins, u0);
    await d.expectNext([]);
    await d.mappings([
      { groupId: admins, roles: ['admin'] },
      { groupId: staff, roles: ['editor', 'viewer'] },
      { groupId: doomed, roles: ['viewer'] },
    ], { defaultRole: 'viewer' });
    await d.expectNextInAnyOrder([
      ['RoleAssigned', u0, 'admin', [admins]],
      ['RoleAssigned', u1, 'viewer', []],
      ['RoleAssigned', u2, 'viewer', []],
      ['RoleAssigned', u3, 'viewer', []],
    ]);
    await d.join(admins, u1);
    await d.join(staff, u1, u2);
    await d.join(doomed, u3);
    await d.setActive(u2, false);
    await d.leave(admins, u1);
    expect((await d.scim('DELETE', `/Groups/${doomed}`)).status).toBe(204);
    expect((await d.scim('DELETE', `/Users/${u0}`)).status).toBe(204);
    // Whatever these led to is published before the barrier.
    expect((await d.settle()).length).toBeGreaterThan(0);
    const received = d.all().length;

    const pool = createServicePool(SERVICE_NAME, requiredEnv('DATABASE_URL'), 4, () => undefined);
    const kafka = createKafkaClient(SERVICE_NAME, requiredEnv('KAFKA_BROKERS'), 'silent', { warn: () => undefined, debug: () => undefined });
    try {
      // While the service consumes, the rebuild refuses to start and changes nothing.
      const before = await snapshot(pool);
      await expect(rebuildRoleAssignment({ pool, schema, serviceName: SERVICE_NAME, kafka })).rejects.toThrow('stop it first');
      expect(await snapshot(pool)).toEqual(before);

      // Other suites of the run leave events of their own directories on the shared topics (some
      // synthetic, some produced while no role-assignment ran): the service must have applied all of it,
      // not just this directory's, or the rebuild rightly publishes what it had not published yet.
      await caughtUp(pool, kafka);
      await stack.roles.close();
      const eventsBefore = await storedEventCount(pool);
      const roleEventsBefore = d.all().length;
      expect(roleEventsBefore).toBe(received);
      const report = await rebuildRoleAssignment({ pool, schema, serviceName: SERVICE_NAME, kafka });
      expect(report.published).toBe(0);
      expect(report.replayedMessages).toBeGreaterThan(0);
      expect(await snapshot(pool)).toEqual(before);
      expect(await storedEventCount(pool)).toBe(eventsBefore);

      // The service starts again where the rebuild left the consumer group: nothing is republished,
      // and new SCIM traffic leads to role events as before.
      const restarted = await startServiceForTest(roleAssignmentEntry, { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: stack.ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
      await waitUntilReady(restarted.url);
      (stack as { roles: typeof restarted }).roles = restarted;
      const late = await d.user('late@example.com');
      await d.join(staff, late);
      // The default role when provisioned; Staff then adds editor, and grants viewer too (no new event).
      await d.expectNext([
        ['RoleAssigned', late, 'viewer', []],
        ['RoleAssigned', late, 'editor', [staff]],
      ]);
      expect(await d.roleSummary(late)).toEqual([`editor<-${staff}`, `viewer<-${staff}`]);
      expect(new Set(d.all().map((e) => e.envelope.id)).size).toBe(d.all().length);
    } finally {
      await pool.end();
    }
  });
});
