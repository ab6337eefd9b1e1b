import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { ConcurrencyError, PostgresEventStore, type NewEvent } from '@scimbridge/event-store';
import { ScimError } from '@scimbridge/scim';
import { requiredEnv } from '@scimbridge/testing';
import { migrateIngressSchema } from '../persistence/ingress.schema';
import { ResourcesRepository, type ResourceRow } from '../persistence/resources.repository';
import { CreateBatcher, type NewResource } from './create-batcher';

/*
 * CreateBatcher on real PostgreSQL: creates that wait while statements are in flight are committed as one
 * statement (one transaction); each create gets its own answer (a taken userName is 409 within the group
 * statement; a group refused as a whole is written one by one) and nothing of a refused create is left
 * behind; a statement stuck on a lock does not hold up the creates behind it for longer than stallMs.
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
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 2, stallMs: 5_000 });
  const creates = Array.from({ length: 10 }, (_, i) => newUser(directoryId, `user${i}@example.com`));
  await Promise.all(creates.map((c) => batcher.write(c)));
  // The first two found a free slot; the other eight waited and went as one statement.
  expect((await groupSizes(directoryId)).sort((a, b) => a - b)).toEqual([1, 1, 8]);
  expect(await storedUserNames(directoryId)).toHaveLength(10);
  for (const c of creates) expect((await store.readStream(c.streamId)).map((e) => [e.type, e.streamVersion])).toEqual([['UserProvisioned', 1]]);
});

it('stores a row and its events exactly as a single create does (NULLs, timestamps, JSON, event order)', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  const plain = newUser(directoryId, 'plain@example.com');
  const rich = newUser(directoryId, 'rich@example.com');
  const richRow = { ...rich.row, unknownAttributes: { customAppField: 'kept', nested: { list: [1, 'two', null] } }, createdAt: new Date('2026-01-02T03:04:05.678Z') };
  const grouped = [plain, { ...rich, row: richRow }];
  const single = newUser(directoryId, 'single@example.com');
  const one = resources.insertStatement(single.row); // the one-row path, for comparison
  await pool.query(one.text, [...one.values]);
  const blocker = batcher.write(newUser(directoryId, 'blocker@example.com'));
  await Promise.all([...grouped.map((c) => batcher.write(c)), blocker]);
  const { rows } = await pool.query<{ u: string; unknown_null: boolean; unknown: unknown; created: Date; unique_key: string; resource: unknown }>(
    `SELECT resource ->> 'userName' AS u, unknown_attributes IS NULL AS unknown_null, unknown_attributes AS unknown, created_at AS created, unique_key, resource
       FROM scim_resources WHERE directory_id = $1 AND resource ->> 'userName' IN ('plain@example.com', 'rich@example.com', 'single@example.com') ORDER BY 1`,
    [directoryId],
  );
  expect(rows).toEqual([
    { u: 'plain@example.com', unknown_null: true, unknown: null, created: plain.row.createdAt, unique_key: 'plain@example.com', resource: plain.row.resource },
    { u: 'rich@example.com', unknown_null: false, unknown: richRow.unknownAttributes, created: richRow.createdAt, unique_key: 'rich@example.com', resource: rich.row.resource },
    { u: 'single@example.com', unknown_null: true, unknown: null, created: single.row.createdAt, unique_key: 'single@example.com', resource: single.row.resource },
  ]);
  for (const c of grouped) {
    const events = await store.readStream(c.streamId);
    expect(events.map((e) => ({ id: e.id, type: e.type, version: e.streamVersion, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata }))).toEqual(
      c.events.map((e, i) => ({ id: e.id, type: e.type, version: i + 1, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata })),
    );
  }
});

it('caps a group at maxBatch', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 3, maxInFlight: 1, stallMs: 5_000 });
  await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.write(newUser(directoryId, `capped${i}@example.com`))));
  expect(await groupSizes(directoryId)).toEqual([1, 3, 3]);
});

it("sends the next group's statement before answering the creates of the one that came back", async () => {
  /** The real store, counting the group statements it is asked for. */
  class CountingStore extends PostgresEventStore {
    statements = 0;
    override appendNewStreamsWith(...args: Parameters<PostgresEventStore['appendNewStreamsWith']>): ReturnType<PostgresEventStore['appendNewStreamsWith']> {
      this.statements += 1;
      return super.appendNewStreamsWith(...args);
    }
  }
  const counting = new CountingStore(pool, { schema });
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(counting, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  const first = batcher.write(newUser(directoryId, 'first@example.com')); // takes the slot
  const behind = batcher.write(newUser(directoryId, 'behind@example.com')); // waits for it
  // When the first create is answered, the statement of the one behind it is already on its way.
  expect(await first.then(() => counting.statements)).toBe(2);
  await behind;
  expect(await groupSizes(directoryId)).toEqual([1, 1]);
});

it('answers each create of a group: a taken userName is 409 and leaves nothing, the others are written together', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  await batcher.write(newUser(directoryId, 'taken@example.com'));
  // takes the free slot, so the five below queue behind it and go as one statement
  const blocker = batcher.write(newUser(directoryId, 'blocker@example.com'));
  const group = [
    newUser(directoryId, 'first@example.com'),
    newUser(directoryId, 'second@example.com'),
    newUser(directoryId, 'TAKEN@example.com'), // a clash with an existing user
    newUser(directoryId, 'pair@example.com'),
    newUser(directoryId, 'Pair@Example.com'), // a clash with an earlier create of the same group
  ];
  const outcomes = await Promise.allSettled(group.map((c) => batcher.write(c)));
  await blocker;
  const statusOf = (o: PromiseSettledResult<void>) => (o.status === 'fulfilled' ? 201 : o.reason instanceof ScimError ? o.reason.status : String(o.reason));
  expect(outcomes.map(statusOf)).toEqual([201, 201, 409, 201, 409]);
  expect(await storedUserNames(directoryId)).toEqual(['blocker@example.com', 'first@example.com', 'pair@example.com', 'second@example.com', 'taken@example.com']);
  for (const [i, c] of group.entries()) {
    expect({ i, events: (await store.readStream(c.streamId)).length }).toEqual({ i, events: outcomes[i]?.status === 'fulfilled' ? 1 : 0 });
  }
  // taken, blocker, then first + second + pair in one statement: no create was retried on its own.
  expect(await groupSizes(directoryId)).toEqual([1, 1, 3]);
});

it('writes a group PostgreSQL refuses as a whole one create at a time, so each gets its own answer', async () => {
  const directoryId = randomUUID();
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  const creates = Array.from({ length: 4 }, (_, i) => newUser(directoryId, `whole${i}@example.com`));
  // The third create's stream exists already (cannot happen with random ids; stands for any refusal).
  await store.append(creates[2]?.streamId as string, [{ id: randomUUID(), type: 'Elsewhere', schemaVersion: 1, data: {}, metadata: { directoryId } }], { expectedVersion: 0 });
  const outcomes = await Promise.allSettled(creates.map((c) => batcher.write(c)));
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
  expect(await storedUserNames(directoryId)).toEqual(['whole0@example.com', 'whole1@example.com', 'whole3@example.com']);
});

it('lets the creates behind a statement that waits on a lock go ahead once it has stalled', async () => {
  const directoryId = randomUUID();
  const blocker = await pool.connect();
  try {
    await blocker.query('BEGIN');
    const held = newUser(directoryId, 'held@example.com');
    const { text, values } = resources.insertStatement(held.row);
    await blocker.query(text, [...values]);
    const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 200 });
    let blockedSettled = false;
    const blocked = batcher.write(newUser(directoryId, 'HELD@example.com')).finally(() => (blockedSettled = true));
    const started = Date.now();
    await batcher.write(newUser(randomUUID(), 'elsewhere@example.com'));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(blockedSettled).toBe(false);
    await blocker.query('ROLLBACK');
    await expect(blocked).resolves.toBeUndefined();
  } finally {
    blocker.release();
  }
});

it('reports a failure without a server verdict to every create of the group', async () => {
  const closed = new Pool({ connectionString: requiredEnv('DATABASE_URL'), options: `-c search_path=${schema},public` });
  await closed.end();
  const batcher = new CreateBatcher(new PostgresEventStore(closed, { schema }), new ResourcesRepository(closed), { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  const directoryId = randomUUID();
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map((i) => batcher.write(newUser(directoryId, `lost${i}@example.com`))));
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  expect(await storedUserNames(directoryId)).toEqual([]);
});

it('refuses the creates of a directory whose deletion was requested (404, nothing written), alone and in a group', async () => {
  const deleting = randomUUID();
  const live = randomUUID();
  const organizationId = randomUUID();
  await pool.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, now())', [organizationId, 'fence']);
  await pool.query(
    `INSERT INTO directories (id, organization_id, provider, name, enabled, stream_version, created_at, deletion_requested_at)
     VALUES ($1, $3, 'onelogin', 'deleting', true, 1, now(), now()), ($2, $3, 'onelogin', 'live', true, 1, now(), NULL)`,
    [deleting, live, organizationId],
  );
  const batcher = new CreateBatcher(store, resources, { maxBatch: 32, maxInFlight: 1, stallMs: 5_000 });
  const statusOf = (o: PromiseSettledResult<void>) => (o.status === 'fulfilled' ? 201 : o.reason instanceof ScimError ? o.reason.status : String(o.reason));
  // Alone (the free slot), then in a group with creates of a live directory.
  const alone = newUser(deleting, 'alone@example.com');
  const group = [newUser(live, 'kept1@example.com'), newUser(deleting, 'refused@example.com'), newUser(live, 'kept2@example.com')];
  const outcomes = await Promise.allSettled([alone, ...group].map((c) => batcher.write(c)));
  expect(outcomes.map(statusOf)).toEqual([404, 201, 404, 201]);
  expect(await storedUserNames(deleting)).toEqual([]);
  expect(await storedUserNames(live)).toEqual(['kept1@example.com', 'kept2@example.com']);
  for (const c of [alone, group[1] as NewResource]) expect(await store.readStream(c.streamId)).toEqual([]);
  // The one-at-a-time path (a group refused as a whole falls back to it) refuses it too.
  const single = newUser(deleting, 'single@example.com');
  await expect(store.appendWith(single.streamId, single.events, { expectedVersion: 0 }, resources.insertStatement(single.row))).resolves.toMatchObject({ companionRows: 0 });
  expect(await store.readStream(single.streamId)).toEqual([]);
});
