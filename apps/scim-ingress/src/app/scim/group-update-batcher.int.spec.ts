import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '@scimbridge/event-store';
import { ScimError, type JsonObject } from '@scimbridge/scim';
import { requiredEnv } from '@scimbridge/testing';
import { migrateIngressSchema } from '../persistence/ingress.schema';
import { ResourcesRepository } from '../persistence/resources.repository';
import type { ScimContext } from './scim-context';
import { ScimWritesService } from './scim-writes.service';

/*
 * Group updates through ScimWritesService on real PostgreSQL, where concurrent PUT/PATCHes of groups are
 * committed together (GroupUpdateBatcher): every request still gets exactly the answer it would get on
 * its own — its own resource version and members, 400 for a member that is not a user, 412 for a stale
 * If-Match, 409 for a taken displayName, 404 for a missing group — and exactly its own events, in order on
 * each group's stream, with the group row, the members table and the events agreeing.
 */

const schema = `gub_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 20, options: `-c search_path=${schema},public` });
const store = new PostgresEventStore(pool, { schema });
const resources = new ResourcesRepository(pool);
const writes = new ScimWritesService(store, resources);

const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

beforeAll(async () => {
  await store.migrate();
  await migrateIngressSchema(pool, schema);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function contextFor(directoryId: string): ScimContext {
  return {
    directoryId,
    organizationId: 'org-1',
    provider: 'onelogin',
    tokenId: 'token-1',
    requestId: randomUUID(),
    baseUrl: `http://localhost/directory/${directoryId}/scim/v2`,
  };
}

async function users(ctx: ScimContext, n: number): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) => writes.createUser(ctx, { schemas: [USER_URN], userName: `u${i}-${randomUUID()}@example.com` })),
  );
  return created.map((c) => String(c.resource?.['id']));
}

async function group(ctx: ScimContext, displayName: string): Promise<string> {
  const created = await writes.createGroup(ctx, { schemas: [GROUP_URN], displayName });
  return String(created.resource?.['id']);
}

const add = (userId: string): unknown => ({ schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
const remove = (userId: string): unknown => ({ schemas: [PATCH_URN], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
const rename = (displayName: string): unknown => ({ schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: displayName }] });

const memberIds = (resource: JsonObject | null | undefined): string[] =>
  ((resource?.['members'] as { value: string }[] | undefined) ?? []).map((m) => m.value).sort();
const versionOf = (resource: JsonObject | null | undefined): string => String((resource?.['meta'] as { version?: string } | undefined)?.version);

async function membersTable(directoryId: string, groupId: string): Promise<string[]> {
  const { rows } = await pool.query<{ user_id: string }>('SELECT user_id FROM group_members WHERE directory_id = $1 AND group_id = $2 ORDER BY user_id', [directoryId, groupId]);
  return rows.map((r) => r.user_id);
}

/** The group's events as [type, version, added, removed]. */
async function streamOf(directoryId: string, groupId: string): Promise<[string, number, string[], string[]][]> {
  const events = await store.readStream(`directory_group:${directoryId}:${groupId}`);
  return events.map((e) => {
    const data = e.data as { added?: string[]; removed?: string[] };
    return [e.type, e.streamVersion, data.added ?? [], data.removed ?? []];
  });
}

/** Rejection of a promise as its SCIM status (or the error itself when it is not a ScimError). */
async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    if (error instanceof ScimError) return error.status;
    throw error;
  }
}

it('commits concurrent PATCHes of several groups and directories together, each with its own answer and event', async () => {
  const a = contextFor(randomUUID());
  const b = contextFor(randomUUID());
  const [aUsers, bUsers] = await Promise.all([users(a, 20), users(b, 10)]);
  const [a1, a2, b1] = await Promise.all([group(a, 'A one'), group(a, 'A two'), group(b, 'B one')]);
  const { rows: before } = await pool.query<{ x: string }>(`SELECT max(transaction_id)::text AS x FROM "${schema}".events`);

  const sent = [
    ...aUsers.slice(0, 12).map((u) => ({ ctx: a, groupId: a1, user: u })),
    ...aUsers.slice(12).map((u) => ({ ctx: a, groupId: a2, user: u })),
    ...bUsers.map((u) => ({ ctx: b, groupId: b1, user: u })),
  ];
  const answers = await Promise.all(sent.map((s) => writes.patchGroup(s.ctx, s.groupId, add(s.user), undefined)));

  // Each answer is the group right after that PATCH: its member is in it, and the versions of one group
  // are 2..n+1, one per PATCH, in the order the events were appended.
  for (const [i, s] of sent.entries()) {
    expect(memberIds(answers[i]?.resource)).toContain(s.user);
    expect(answers[i]?.events.map((e) => e.type)).toEqual(['GroupMembershipChanged']);
  }
  for (const [ctx, groupId, expected] of [
    [a, a1, aUsers.slice(0, 12)],
    [a, a2, aUsers.slice(12)],
    [b, b1, bUsers],
  ] as const) {
    const mine = sent.map((s, i) => ({ s, answer: answers[i] })).filter(({ s }) => s.groupId === groupId);
    const versions = mine.map(({ answer }) => versionOf(answer?.resource)).sort();
    expect(new Set(versions).size).toBe(expected.length);
    expect(mine.every(({ answer }) => memberIds(answer?.resource).length >= 1)).toBe(true);
    const stream = await streamOf(ctx.directoryId, groupId);
    expect(stream.map(([type, version]) => [type, version])).toEqual([['GroupCreated', 1], ...expected.map((_, i) => ['GroupMembershipChanged', i + 2])]);
    expect(stream.slice(1).flatMap(([, , added]) => added).sort()).toEqual([...expected].sort());
    // Answer i of this group (by version) has exactly the members its own and the earlier events added.
    for (const { answer } of mine) {
      const version = Number(versionOf(answer?.resource).replace(/\D/g, ''));
      const addedSoFar = stream.slice(1, version).flatMap(([, , added]) => added).sort();
      expect(memberIds(answer?.resource)).toEqual(addedSoFar);
    }
    expect(await membersTable(ctx.directoryId, groupId)).toEqual([...expected].sort());
    const row = await resources.get(ctx.directoryId, 'Group', groupId);
    expect(memberIds(row?.resource)).toEqual([...expected].sort());
    expect(row?.streamVersion).toBe(expected.length + 1);
    expect(row?.revision).toBe(expected.length + 1);
  }
  // Fewer transactions than PATCHes: they were committed together.
  const { rows: transactions } = await pool.query<{ n: number }>(
    `SELECT count(DISTINCT transaction_id)::int AS n FROM "${schema}".events WHERE transaction_id > $1::xid8 AND type = 'GroupMembershipChanged'`,
    [before[0]?.x ?? '0'],
  );
  expect(transactions[0]?.n).toBeLessThan(sent.length / 2);
});

it('refuses only the PATCH that adds a non-user (even one removed again in the same batch), 404s a missing group', async () => {
  const ctx = contextFor(randomUUID());
  const members = await users(ctx, 6);
  const groupId = await group(ctx, 'Mixed');
  const ghost = randomUUID();
  const results = await Promise.all([
    statusOf(writes.patchGroup(ctx, groupId, add(members[0] as string), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[1] as string), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(ghost), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, remove(ghost), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[2] as string), undefined)),
    statusOf(writes.patchGroup(ctx, randomUUID(), add(members[3] as string), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[4] as string), undefined)),
  ]);
  expect(results).toEqual(['ok', 'ok', 400, 'ok', 'ok', 404, 'ok']);
  const expected = [members[0], members[1], members[2], members[4]].map(String).sort();
  expect(await membersTable(ctx.directoryId, groupId)).toEqual(expected);
  const stream = await streamOf(ctx.directoryId, groupId);
  expect(stream.flatMap(([, , added]) => added).sort()).toEqual(expected);
  expect(stream.some(([, , added, removed]) => added.includes(ghost) || removed.includes(ghost))).toBe(false);
  // The refusal names the member.
  await expect(writes.patchGroup(ctx, groupId, add(ghost), undefined)).rejects.toThrow(ghost);
});

it('checks If-Match against the state the earlier PATCHes of the batch left (of two racing PATCHes, the second gets 412)', async () => {
  const ctx = contextFor(randomUUID());
  const members = await users(ctx, 3);
  const groupId = await group(ctx, 'Guarded');
  const current = await resources.get(ctx.directoryId, 'Group', groupId);
  // The first PATCH finds the slot free and goes alone; the two guarded ones wait and are decided in one
  // batch, both sent with the version the first leaves.
  const expected = `W/"${(current?.revision ?? 0) + 1}"`;
  const results = await Promise.all([
    statusOf(writes.patchGroup(ctx, groupId, add(members[0] as string), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[1] as string), expected)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[2] as string), expected)),
  ]);
  expect(results).toEqual(['ok', 'ok', 412]);
  expect(await membersTable(ctx.directoryId, groupId)).toEqual([members[0], members[1]].map(String).sort());
  expect((await streamOf(ctx.directoryId, groupId)).length).toBe(3);
});

it('answers 409 only to a rename to a taken displayName; the PATCHes committed with it are written', async () => {
  const ctx = contextFor(randomUUID());
  const members = await users(ctx, 4);
  const [first, second] = await Promise.all([group(ctx, 'Taken name'), group(ctx, 'Second')]);
  const results = await Promise.all([
    statusOf(writes.patchGroup(ctx, first, add(members[0] as string), undefined)),
    statusOf(writes.patchGroup(ctx, second, add(members[1] as string), undefined)),
    statusOf(writes.patchGroup(ctx, second, rename('TAKEN NAME'), undefined)),
    statusOf(writes.patchGroup(ctx, second, add(members[2] as string), undefined)),
    statusOf(writes.patchGroup(ctx, first, add(members[3] as string), undefined)),
  ]);
  expect(results).toEqual(['ok', 'ok', 409, 'ok', 'ok']);
  expect(await membersTable(ctx.directoryId, first)).toEqual([members[0], members[3]].map(String).sort());
  expect(await membersTable(ctx.directoryId, second)).toEqual([members[1], members[2]].map(String).sort());
  const secondRow = await resources.get(ctx.directoryId, 'Group', second);
  expect(secondRow?.resource['displayName']).toBe('Second');
  expect((await streamOf(ctx.directoryId, second)).map(([type]) => type)).toEqual(['GroupCreated', 'GroupMembershipChanged', 'GroupMembershipChanged']);
});

it('applies a PUT and PATCHes of one group in arrival order', async () => {
  const ctx = contextFor(randomUUID());
  const members = await users(ctx, 6);
  const groupId = await group(ctx, 'Replaced');
  const put = { schemas: [GROUP_URN], displayName: 'Replaced', members: [{ value: members[0] }, { value: members[1] }] };
  const results = await Promise.all([
    statusOf(writes.patchGroup(ctx, groupId, add(members[2] as string), undefined)),
    statusOf(writes.replaceGroup(ctx, groupId, put, undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[3] as string), undefined)),
    statusOf(writes.patchGroup(ctx, groupId, add(members[4] as string), undefined)),
  ]);
  expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
  const table = await membersTable(ctx.directoryId, groupId);
  const row = await resources.get(ctx.directoryId, 'Group', groupId);
  // The PUT replaced what the PATCH before it added; the PATCHes after it added to the PUT's members.
  expect(table).toEqual([members[0], members[1], members[3], members[4]].map(String).sort());
  expect(memberIds(row?.resource)).toEqual(table);
  // Replaying the group's events gives the same members.
  const replayed = new Set<string>();
  for (const [type, , added, removed] of await streamOf(ctx.directoryId, groupId)) {
    if (type !== 'GroupMembershipChanged') continue;
    for (const id of removed) replayed.delete(id);
    for (const id of added) replayed.add(id);
  }
  expect([...replayed].sort()).toEqual(table);
});

it('refuses a group create with members in a directory whose deletion was requested (404, nothing written)', async () => {
  const ctx = contextFor(randomUUID());
  const [member] = await users(ctx, 1);
  const organizationId = randomUUID();
  await pool.query('INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, now())', [organizationId, 'fence']);
  await pool.query(
    `INSERT INTO directories (id, organization_id, provider, name, enabled, stream_version, created_at, deletion_requested_at)
     VALUES ($1, $2, 'onelogin', 'deleting', true, 1, now(), now())`,
    [ctx.directoryId, organizationId],
  );
  expect(await statusOf(writes.createGroup(ctx, { schemas: [GROUP_URN], displayName: 'Late', members: [{ value: member }] }))).toBe(404);
  expect(await statusOf(writes.createUser(ctx, { schemas: [USER_URN], userName: 'late@example.com' }))).toBe(404);
  const { rows } = await pool.query('SELECT id FROM scim_resources WHERE directory_id = $1', [ctx.directoryId]);
  expect(rows).toHaveLength(1); // the member created before the request
  const members = await pool.query('SELECT 1 FROM group_members WHERE directory_id = $1', [ctx.directoryId]);
  expect(members.rows).toHaveLength(0);
});

it('keeps the resource JSON uncompressed out of line (big groups are rewritten on every PATCH), and migrates again without change', async () => {
  const storage = async (): Promise<string | undefined> =>
    (await pool.query<{ attstorage: string }>(`SELECT attstorage FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'resource'`, [`"${schema}".scim_resources`])).rows[0]
      ?.attstorage;
  expect(await storage()).toBe('e');
  await migrateIngressSchema(pool, schema);
  expect(await storage()).toBe('e');
});
