import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore, type NewEvent } from '@scimbridge/event-store';
import { ScimError } from '@scimbridge/scim';
import { requiredEnv } from '@scimbridge/testing';
import { migrateIngressSchema } from '../persistence/ingress.schema';
import { ResourcesRepository, type ResourceRow } from '../persistence/resources.repository';
import { CreateBatcher, type NewResource } from './create-batcher';

/*
 * CreateBatcher on real PostgreSQL: creates that wait while statements are in flight are committed as one
 * statement (one transaction), and a group PostgreSQL refuses is written one by one, so each create gets
 * its own answer and nothing of a refused create is left behind.
 */

const schema = `cb_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 20, options: `-c search_path=${schema},public` });
const store = new PostgresEventStore(pool, { schema });
const resources = new ResourcesRepository(pool);

beforeAll(async () => {
  await store.migrate();
  await migrateIngressSchema(pool, schema);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function newUser(directoryId: string, userName: string): NewResource {
  const id = randomUUID();
  const at = new Date();
  const row: ResourceRow = {
    directoryId,
    resourceType: 'User',
    id,
    resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id, userName },
    unknownAttributes: null,
    revision: 1,
    streamVersion: 1,
    createdAt: at,
    updatedAt: at,
  };
  const events: NewEvent[] = [{ id: randomUUID(), type: 'UserProvisioned', schemaVersion: 1, data: { userName }, metadata: { directoryId } }];
  return { type: 'User', streamId: `directory_user:${directoryId}:${id}`, events, row };
}

/** Events of the directory per transaction, in commit order: how the creates were grouped. */
async function groupSizes(directoryId: string): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${schema}".events WHERE metadata ->> 'directoryId' = $1 GROUP BY transaction_id ORDER BY transaction_id`,
    [directoryId],
  );
  return rows.map((r) => r.n);
}

async function storedUserNames(directoryId: string): Promise<string[]> {
  const { rows } = await pool.query<{ u: string }>(`SELECT resource ->> 'userName' AS u FROM scim_resources WHERE directory_id = $1 ORDER BY 1`, [directoryId]);
  return rows.map((r) => r.u);
}

it('writes creates that wait for a statement in flight together, in one transaction', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 2 });
  const creates = Array.from({ length: 10 }, (_, i) => newUser(directoryId, `user${i}@example.com`));
  await Promise.all(creates.map((c) => batcher.write(c)));
  // The first two found a free slot; the other eight waited and went as one statement.
  expect((await groupSizes(directoryId)).sort((a, b) => a - b)).toEqual([1, 1, 8]);
  expect(await storedUserNames(directoryId)).toHaveLength(10);
  for (const c of creates) expect((await store.readStream(c.streamId)).map((e) => [e.type, e.streamVersion])).toEqual([['UserProvisioned', 1]]);
});

it('caps a group at maxBatch', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 3, maxInFlight: 1 });
  await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.write(newUser(directoryId, `capped${i}@example.com`))));
  expect(await groupSizes(directoryId)).toEqual([1, 3, 3]);
});

it('writes a refused group one by one: each create gets its own answer, losers leave nothing', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1 });
  await batcher.write(newUser(directoryId, 'taken@example.com'));
  const group = [
    newUser(directoryId, 'first@example.com'), // alone (the slot is free)
    newUser(directoryId, 'second@example.com'), // these four wait and go together, and are refused:
    newUser(directoryId, 'TAKEN@example.com'), //   a clash with an existing user
    newUser(directoryId, 'pair@example.com'), //   and a clash inside the group
    newUser(directoryId, 'Pair@Example.com'),
  ];
  const outcomes = await Promise.allSettled(group.map((c) => batcher.write(c)));
  const statusOf = (o: PromiseSettledResult<void>) => (o.status === 'fulfilled' ? 201 : o.reason instanceof ScimError ? o.reason.status : String(o.reason));
  const statuses = outcomes.map(statusOf);
  expect(statuses.slice(0, 3)).toEqual([201, 201, 409]);
  expect(statuses.slice(3).sort()).toEqual([201, 409]);
  const winners = group.filter((_, i) => outcomes[i]?.status === 'fulfilled');
  expect(await storedUserNames(directoryId)).toEqual(['first@example.com', 'second@example.com', 'taken@example.com', winners[2]?.row.resource['userName']].sort());
  for (const [i, c] of group.entries()) {
    expect({ i, events: (await store.readStream(c.streamId)).length }).toEqual({ i, events: outcomes[i]?.status === 'fulfilled' ? 1 : 0 });
  }
});

it('reports a failure without a server verdict to every create of the group', async () => {
  const closed = new Pool({ connectionString: requiredEnv('DATABASE_URL'), options: `-c search_path=${schema},public` });
  await closed.end();
  const batcher = new CreateBatcher(new PostgresEventStore(closed, { schema }), new ResourcesRepository(closed), { maxBatch: 32, maxInFlight: 1 });
  const directoryId = randomUUID();
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map((i) => batcher.write(newUser(directoryId, `lost${i}@example.com`))));
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  expect(await storedUserNames(directoryId)).toEqual([]);
});
