import { randomUUID } from 'node:crypto';
import { buildEnvelope, messageKeyFor, streamIds, topicFor, Topics, userStateFromResource, type EventEnvelope, type EventType } from '@scimbridge/contracts';
import { contractsDecoder, ProjectionRunner } from '@scimbridge/messaging';
import { createKafkaClient, createServicePool } from '@scimbridge/service-kit';
import { requiredEnv, TopicProbe, uniqueId } from '@scimbridge/testing';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { SERVICE_NAME } from '../app/app.module';
import type { DirectoryOverviewView } from '../app/directory-overview/directory-overview.service';
import type { GroupView } from '../app/groups-tab/groups.query';
import { PortalReadModelProjection } from '../app/read-model/portal-read-model.projection';
import { encodePosition } from '../app/read-model/projection-position';
import { currentGeneration } from '../app/read-model/read-model.worker';
import type { UserSummaryView } from '../app/users-tab/users.query';
import { eventually, PortalDirectory, stackForSuite } from './portal-query.test-support';

/*
 * Exactly once in effect, on the real broker: messages redelivered (the same envelopes produced again,
 * as a relay republish or a consumer restart would), directories interleaved differently on the way
 * and a second consumer replaying everything must leave every count exactly as one delivery would.
 */

const suite = stackForSuite();

interface Page<T> {
  items: T[];
  total: number;
}

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** A hand-made but contract-valid history of one directory, as the ingress and role-assignment publish it. */
function history(): { directoryId: string; organizationId: string; envelopes: EventEnvelope[]; users: string[]; groupId: string } {
  const directoryId = randomUUID();
  const organizationId = randomUUID();
  const users = [1, 2, 3, 4, 5].map(() => randomUUID());
  const groupId = randomUUID();
  let clock = Date.parse('2026-06-01T10:00:00.000Z');
  const envelopes: EventEnvelope[] = [];
  const add = (type: EventType, streamId: string, streamVersion: number, data: unknown, schemaVersion = 1): void => {
    clock += 1_000;
    envelopes.push(
      buildEnvelope({
        id: randomUUID(),
        type,
        schemaVersion,
        data,
        metadata: { directoryId, organizationId, occurredAt: new Date(clock).toISOString() },
        source: '/scimbridge/test',
        streamId,
        streamVersion,
      }),
    );
  };
  const resource = (userId: string, n: number, active: boolean): Record<string, unknown> => ({
    schemas: [USER_URN],
    id: userId,
    userName: `user${n}@example.com`,
    displayName: `User ${n}`,
    active,
    emails: [{ value: `user${n}@example.com`, primary: true }],
  });
  const [u1, u2, u3, u4] = users as [string, string, string, string, string];
  add('DirectoryCreated', streamIds.directory(directoryId), 1, { directoryId, organizationId, provider: 'okta', name: 'synthetic' });
  users.forEach((u, i) => add('UserProvisioned', streamIds.user(directoryId, u), 1, userStateFromResource(resource(u, i + 1, i !== 4))));
  add('GroupCreated', streamIds.group(directoryId, groupId), 1, { groupId, externalId: null, displayName: 'Crew', resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: groupId, displayName: 'Crew' }, memberIds: [u1, u2] });
  add('GroupMembershipChanged', streamIds.group(directoryId, groupId), 2, { groupId, added: [u3], removed: [u1] });
  add('UserDeactivated', streamIds.user(directoryId, u2), 2, { userId: u2, externalId: null, userName: 'user2@example.com' });
  add('UserUpdated', streamIds.user(directoryId, u3), 2, { ...userStateFromResource({ ...resource(u3, 3, true), displayName: 'Third' }), changedAttributes: ['displayName'] });
  add('UserDeprovisioned', streamIds.user(directoryId, u4), 2, { userId: u4, externalId: null, userName: 'user4@example.com' });
  add('RoleMappingsChanged', streamIds.roleMapping(directoryId), 1, { directoryId, mappings: [{ groupId, roles: ['crew'] }], defaultRole: null }, 2);
  add('RoleAssigned', streamIds.roleGrant(directoryId, u3), 1, { userId: u3, role: 'crew', viaGroupIds: [groupId] });
  return { directoryId, organizationId, envelopes, users, groupId };
}

async function produce(producer: Producer, envelopes: readonly EventEnvelope[]): Promise<void> {
  for (const e of envelopes) {
    await producer.send({ topic: topicFor(e.type), acks: -1, messages: [{ key: messageKeyFor(e.directoryid), value: JSON.stringify(e) }] });
  }
}

/** Interleaves the directories' messages (each directory's own order kept, as one partition keeps it). */
function interleave(...lists: EventEnvelope[][]): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i += 1) for (const l of lists) if (l[i]) out.push(l[i] as EventEnvelope);
  return out;
}

async function topicEnds(kafka: Kafka): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents]) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}#${p.partition}`, BigInt(p.high));
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

describe('read models under redelivery and reordering', () => {
  let kafka: Kafka;
  let producer: Producer;
  let pool: Pool;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'exactly-once-test', brokers: requiredEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    pool = createServicePool(SERVICE_NAME, requiredEnv('DATABASE_URL'), 2, () => undefined);
  });
  afterAll(async () => {
    await producer.disconnect();
    await pool.end();
  });

  /** Reads a directory's state once everything published so far is applied (read-your-writes). */
  async function stateOf(directoryId: string): Promise<{ overview: Omit<DirectoryOverviewView, 'position'>; users: string[]; group: GroupView[]; events: number }> {
    const position = encodePosition(await topicEnds(kafka));
    const call = async <T>(path: string): Promise<T> => {
      const r = await new PortalDirectoryProbe(directoryId).get<T>(path, position);
      return r;
    };
    // The position moves with every message, redelivered or not: everything else must stay.
    const { position: _position, ...overview } = await call<DirectoryOverviewView & { position: string }>('');
    const users = await call<Page<UserSummaryView>>('/users?limit=200');
    const groups = await call<Page<GroupView>>('/groups');
    const events = await call<{ items: unknown[] }>('/events?limit=200&withRequests=false');
    return {
      overview,
      users: users.items.map((u) => `${u.userName}:${u.status}:${u.displayName}:${u.groups.map((g) => g.displayName).join('+')}:${u.roles.map((r) => r.role).join('+')}`),
      group: groups.items,
      events: events.items.length,
    };
  }

  class PortalDirectoryProbe {
    constructor(private readonly directoryId: string) {}
    async get<T>(path: string, position: string): Promise<T> {
      const response = await fetch(`${suite.stack.portal.url}/api/v1/directories/${this.directoryId}${path}${path.includes('?') ? '&' : '?'}minPosition=${position}&waitMs=20000`, {
        headers: { authorization: `Bearer ${suite.stack.portal.config.MANAGEMENT_API_KEY}` },
      });
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    }
  }

  it('counts exactly once when two directories arrive interleaved, then everything again in another order', async () => {
    const a = history();
    const b = history();
    await produce(producer, interleave(a.envelopes, b.envelopes));
    const once = { a: await stateOf(a.directoryId), b: await stateOf(b.directoryId) };
    for (const [h, s] of [[a, once.a], [b, once.b]] as const) {
      expect(s.overview.counts).toEqual({ users: 4, activeUsers: 2, inactiveUsers: 2, groups: 1 });
      expect(s.overview.provider).toBe('okta');
      expect(s.group.map((g) => [g.displayName, g.memberCount, g.roles])).toEqual([['Crew', 2, ['crew']]]);
      expect(s.events).toBe(h.envelopes.length);
      expect(s.users).toEqual([
        'user1@example.com:active:User 1::',
        'user2@example.com:inactive:User 2:Crew:',
        'user3@example.com:active:Third:Crew:crew',
        'user5@example.com:inactive:User 5::',
      ]);
    }
    // Redelivered: all of it again, B first this time, and A's tail a third time.
    await produce(producer, interleave(b.envelopes, a.envelopes));
    await produce(producer, a.envelopes.slice(-6));
    expect({ a: await stateOf(a.directoryId), b: await stateOf(b.directoryId) }).toEqual(once);
  });

  it('leaves counts unchanged when real ingress traffic is redelivered, and when a second consumer replays every topic', async () => {
    const d = await PortalDirectory.create(suite.stack);
    const probe = new TopicProbe(Topics.directoryEvents);
    await probe.start();
    try {
      const users = [];
      for (let i = 0; i < 6; i += 1) users.push(await d.user(`real${i}@example.com`, { active: i % 3 !== 0 }));
      const group = await d.group('Real', users.slice(0, 4));
      await d.leave(group, users[0] as string);
      expect((await d.scim('DELETE', `/Users/${users[5]}`)).status).toBe(204);
      // 1 DirectoryCreated + 1 token + 6 users + group + membership + (removal from no group) + deprovision
      const published = await eventually(() => Promise.resolve(probe.received(d.id)), (l) => l.some((e) => e.event.type === 'UserDeprovisioned'));
      const before = await stateOf(d.id);
      expect(before.overview.counts).toEqual({ users: 5, activeUsers: 3, inactiveUsers: 2, groups: 1 });
      expect(before.group[0]?.memberCount).toBe(3);

      await produce(producer, published.map((e) => e.envelope));
      expect(await stateOf(d.id)).toEqual(before);

      // A second consumer of the same projection (own consumer group, so it starts at offset 0): every
      // event it sees is already applied, so it applies nothing.
      const generation = await currentGeneration(pool);
      const replay = new ProjectionRunner({
        serviceName: SERVICE_NAME,
        consumerGroupId: uniqueId('replay'),
        pool,
        schema: generation.schema,
        kafka: createKafkaClient(SERVICE_NAME, requiredEnv('KAFKA_BROKERS'), 'silent', { warn: () => undefined, debug: () => undefined }),
        projection: new PortalReadModelProjection(generation.generation, generation.schema),
        decode: contractsDecoder,
      });
      await replay.start();
      try {
        const ends = await topicEnds(kafka);
        const total = [...ends.values()].reduce((n, v) => n + Number(v), 0);
        await eventually(() => Promise.resolve(replay.stats), (s) => s.applied + s.skipped + s.deadLettered >= total, 60_000);
        expect(replay.stats.applied).toBe(0);
        expect(replay.stats.skipped).toBeGreaterThan(0);
      } finally {
        await replay.stop();
      }
      expect(await stateOf(d.id)).toEqual(before);
    } finally {
      await probe.stop();
    }
  });
});
