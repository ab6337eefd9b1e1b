import { upcast, type RoleMappingsChangedDataV2 } from '@scimbridge/contracts';
import { PostgresEventStore, type RecordedEvent } from '@scimbridge/event-store';
import { contractsDecoder, ProjectionRunner, type ProjectionLogger } from '@scimbridge/messaging';
import { inTransaction } from '@scimbridge/service-kit';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { ROLE_CATALOG_CHANGED, type RoleCatalogChangedData } from '../domain/role-catalog.decider';
import { regrantAndPublish, RoleGrantProjection, ROLE_GRANTS_PROJECTION } from '../role-grants/role-grant.projection';

/*
 * `npm run role-assignment:rebuild`: throws this service's state away and builds it again — the directory
 * model by replaying scim.directory.events and scim.role-mapping.events from offset 0 (the topics are
 * kept for good), the roles catalog, the mapping sets and the published grants from this service's own
 * event store. It publishes nothing while replaying: the interleaving of two topics in a replay need not
 * be the one lived through, so re-deriving events step by step could tell apps of changes that never
 * happened. Instead, once replayed, each directory's effective roles are compared with the grants its
 * stored events say were published, and only a difference is published (none, unless the state had
 * drifted). Run it with role-assignment stopped.
 */

const REBUILD_NAMESPACE = '5f0c3b8e-2d71-4f6a-9e1c-8b4a7d2e6f30';

/** Every table the service derives; the rebuild empties and refills all of them. */
const DERIVED_TABLES = ['known_organizations', 'role_catalog', 'mapping_sets', 'known_directories', 'directory_users', 'directory_groups', 'group_members', 'group_roles', 'role_grants'];

export interface RebuildOptions {
  /** Its search_path must be the service's schema (createServicePool does that): the projection's SQL names plain tables. */
  readonly pool: Pool;
  readonly schema: string;
  readonly serviceName: string;
  readonly kafka: Kafka;
  readonly log?: ProjectionLogger;
  /** Give up if the replay has not reached the topics' ends (as they were at the start) by then. */
  readonly timeoutMs?: number;
}

export interface RebuildReport {
  readonly replayedMessages: number;
  readonly directories: number;
  readonly grants: number;
  /** Role events the rebuild had to publish: 0 unless the state had drifted from the events. */
  readonly published: number;
  readonly seconds: number;
}

export async function rebuildRoleAssignment(options: RebuildOptions): Promise<RebuildReport> {
  const started = Date.now();
  const log = options.log ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  const store = new PostgresEventStore(options.pool, { schema: options.schema });
  const projection = new RoleGrantProjection(store, 'replay');
  const runner = new ProjectionRunner({ serviceName: options.serviceName, pool: options.pool, schema: options.schema, kafka: options.kafka, projection, decode: contractsDecoder, logger: log });
  const lockClient = await options.pool.connect();
  try {
    const { rows } = await lockClient.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`${options.schema}.rebuild`]);
    if (!rows[0]?.locked) throw new Error('another rebuild of role-assignment is running');
    const admin = options.kafka.admin();
    await admin.connect();
    let targets: Map<string, bigint>;
    try {
      const { groups } = await admin.describeGroups([runner.groupId]);
      const members = groups[0]?.members.length ?? 0;
      if (members > 0) throw new Error(`role-assignment is running (consumer group ${runner.groupId} has ${members} member(s)): stop it first`);

      await runner.migrate();
      await options.pool.query(`TRUNCATE ${DERIVED_TABLES.map((t) => `"${options.schema}".${t}`).join(', ')}`);
      await options.pool.query(`DELETE FROM "${options.schema}".projection_positions WHERE projection = $1`, [ROLE_GRANTS_PROJECTION]);
      await options.pool.query(`DELETE FROM "${options.schema}".projection_offsets WHERE projection = $1`, [ROLE_GRANTS_PROJECTION]);
      targets = new Map();
      for (const topic of projection.topics) {
        await admin.resetOffsets({ groupId: runner.groupId, topic, earliest: true });
        for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    log.info(`rebuild: replaying ${[...targets.values()].reduce((n, v) => n + v, 0n)} messages of ${projection.topics.join(', ')}`);

    await runner.start();
    try {
      await waitUntilReached(options, targets, options.timeoutMs ?? 30 * 60_000);
    } finally {
      await runner.stop();
    }

    const restored = await restoreFromStore(options, store);
    const published = await publishDifferences(options, store);
    return {
      replayedMessages: runner.stats.applied + runner.stats.skipped + runner.stats.deadLettered,
      directories: published.directories,
      grants: restored.grants,
      published: published.events,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    lockClient.release();
  }
}

async function waitUntilReached(options: RebuildOptions, targets: ReadonlyMap<string, bigint>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await options.pool.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, partition, next_offset::text FROM "${options.schema}".projection_offsets WHERE projection = $1`,
      [ROLE_GRANTS_PROJECTION],
    );
    const done = new Map(rows.map((r) => [`${r.topic}/${r.partition}`, BigInt(r.next_offset)]));
    const behind = [...targets].filter(([key, end]) => (done.get(key) ?? 0n) < end);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`rebuild: replay still behind on ${behind.map(([k]) => k).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The command side and the published grants, as this service's own events tell them. */
async function restoreFromStore(options: RebuildOptions, store: PostgresEventStore): Promise<{ grants: number }> {
  const catalogs = new Map<string, { version: number; data: RoleCatalogChangedData }>();
  const mappingSets = new Map<string, { version: number; data: RoleMappingsChangedDataV2; at: string }>();
  const grants = new Map<string, { directoryId: string; userId: string; role: string; via: readonly string[]; at: string }>();
  let after: RecordedEvent['position'] | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after ? { after } : {}), limit: 5_000 });
    if (page.length === 0) break;
    for (const e of page) {
      if (e.type === ROLE_CATALOG_CHANGED) {
        const data = e.data as RoleCatalogChangedData;
        catalogs.set(data.organizationId, { version: e.streamVersion, data });
      } else if (e.type === 'RoleMappingsChanged') {
        const data = upcast('RoleMappingsChanged', e.schemaVersion, e.data).data as RoleMappingsChangedDataV2;
        mappingSets.set(data.directoryId, { version: e.streamVersion, data, at: String(e.metadata['occurredAt']) });
      } else if (e.type === 'RoleAssigned' || e.type === 'RoleRevoked') {
        const data = e.data as { userId: string; role: string; viaGroupIds: string[] };
        const directoryId = String(e.metadata['directoryId']);
        const key = `${directoryId}\u0000${data.userId}\u0000${data.role}`;
        if (e.type === 'RoleAssigned') grants.set(key, { directoryId, userId: data.userId, role: data.role, via: data.viaGroupIds, at: String(e.metadata['occurredAt']) });
        else grants.delete(key);
      }
    }
    after = page[page.length - 1]?.position;
  }
  const s = `"${options.schema}"`;
  await inTransaction(options.pool, async (client) => {
    await client.query(
      `INSERT INTO ${s}.known_organizations (organization_id, catalog_version) SELECT o.id, o.version FROM jsonb_to_recordset($1::jsonb) AS o(id uuid, version int)
       ON CONFLICT (organization_id) DO UPDATE SET catalog_version = EXCLUDED.catalog_version`,
      [JSON.stringify([...catalogs].map(([id, c]) => ({ id, version: c.version })))],
    );
    await client.query(
      `INSERT INTO ${s}.role_catalog (organization_id, role_key, display_name, description, position)
       SELECT r.organization_id, r.key, r.display_name, r.description, r.position FROM jsonb_to_recordset($1::jsonb) AS r(organization_id uuid, key text, display_name text, description text, position int)`,
      [JSON.stringify([...catalogs.values()].flatMap((c) => c.data.roles.map((r, position) => ({ organization_id: c.data.organizationId, key: r.key, display_name: r.displayName, description: r.description, position }))))],
    );
    await client.query(
      `INSERT INTO ${s}.mapping_sets (directory_id, version, mappings, default_role, default_applies_to, updated_at)
       SELECT m.directory_id, m.version, m.mappings, m.default_role, m.default_applies_to, m.updated_at
         FROM jsonb_to_recordset($1::jsonb) AS m(directory_id uuid, version int, mappings jsonb, default_role text, default_applies_to text, updated_at timestamptz)`,
      [
        JSON.stringify(
          [...mappingSets].map(([directoryId, m]) => ({
            directory_id: directoryId,
            version: m.version,
            mappings: m.data.mappings,
            default_role: m.data.defaultRole?.role ?? null,
            default_applies_to: m.data.defaultRole?.appliesTo ?? null,
            updated_at: m.at,
          })),
        ),
      ],
    );
    await client.query(
      `INSERT INTO ${s}.role_grants (directory_id, user_id, role_key, via_group_ids, granted_at)
       SELECT g.directory_id, g.user_id, g.role_key, ARRAY(SELECT jsonb_array_elements_text(g.via)), g.granted_at
         FROM jsonb_to_recordset($1::jsonb) AS g(directory_id uuid, user_id text, role_key text, via jsonb, granted_at timestamptz)`,
      [JSON.stringify([...grants.values()].map((g) => ({ directory_id: g.directoryId, user_id: g.userId, role_key: g.role, via: g.via, granted_at: g.at })))],
    );
  });
  return { grants: grants.size };
}

/**
 * Compares every directory's effective roles with the grants restored from the events and publishes the
 * difference (normally none); a grant still held through other groups than the last event named is
 * brought up to date without an event, as the live projection does.
 */
async function publishDifferences(options: RebuildOptions, store: PostgresEventStore): Promise<{ directories: number; events: number }> {
  const { rows: directories } = await options.pool.query<{ directory_id: string; organization_id: string }>(
    `SELECT directory_id, organization_id FROM "${options.schema}".known_directories ORDER BY directory_id`,
  );
  const at = new Date().toISOString();
  let events = 0;
  for (const d of directories) {
    events += await inTransaction(options.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [d.directory_id]);
      const cause = { id: uuidv5(`rebuild:${d.directory_id}:${at}`, REBUILD_NAMESPACE), type: 'Rebuild', subject: `rebuild:${d.directory_id}`, sequence: 1, data: null, directoryId: d.directory_id, organizationId: d.organization_id, time: at };
      return regrantAndPublish(client, store, d.directory_id, { kind: 'all' }, cause);
    });
  }
  return { directories: directories.length, events };
}
