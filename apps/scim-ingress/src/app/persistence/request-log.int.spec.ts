import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { requiredEnv } from '@scimbridge/testing';
import { migrateIngressSchema } from './ingress.schema';
import { redactBody, RequestLog, type RequestLogEntry } from './request-log';

/** The request log on real PostgreSQL: what `record` takes is what `list` gives back, newest first. */

const schema = `rl_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 4, options: `-c search_path=${schema},public` });
const errors: string[] = [];
const log = new RequestLog(pool, { days: 30, maxPerDirectory: 1_000 }, (m) => errors.push(m));

beforeAll(async () => {
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await migrateIngressSchema(pool, schema);
});

afterAll(async () => {
  await log.stop();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function entry(directoryId: string, n: number, overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    directoryId,
    requestId: `req-${n}`,
    receivedAt: new Date(Date.UTC(2026, 10, 29, 9, 0, n, 123)),
    method: 'POST',
    path: '/Users',
    status: 201,
    latencyMs: 1.5 + n,
    tokenId: 'tok-1',
    events: [{ id: randomUUID(), type: 'UserProvisioned', streamId: `directory_user:${directoryId}:${n}` }],
    requestBody: redactBody({ userName: `u${n}@example.com`, password: 'secret', name: { givenName: 'Jane' } }),
    error: null,
    ...overrides,
  };
}

it('stores every field of every entry, and lists them newest first', async () => {
  const directoryId = randomUUID();
  const entries = [
    entry(directoryId, 1),
    entry(directoryId, 2, { method: 'GET', path: '/Users?filter=userName%20eq%20%22a%22', status: 200, tokenId: null, events: [], requestBody: undefined }),
    entry(directoryId, 3, { status: 400, error: 'invalidValue: userName is required', requestBody: redactBody({ displayName: 'x' }) }),
  ];
  for (const e of entries) log.record(e);
  log.record(entry(randomUUID(), 9)); // another directory's
  const listed = await log.list(directoryId, { limit: 10 });
  expect(listed.map(({ id: _id, latencyMs, ...rest }) => ({ ...rest, latencyMs: Number(latencyMs.toFixed(3)) }))).toEqual(
    [...entries].reverse().map((e) => ({ ...e, requestBody: e.requestBody ?? null, latencyMs: Number(e.latencyMs.toFixed(3)) })),
  );
  expect(listed[2]?.requestBody).toEqual({ userName: 'u1@example.com', password: '[redacted]', name: { givenName: 'Jane' } });
  expect(errors).toEqual([]);
});

it('lists newest first by number, past 9 and 99 entries (not as text)', async () => {
  const directoryId = randomUUID();
  for (let n = 1; n <= 120; n += 1) log.record(entry(directoryId, n));
  const listed = await log.list(directoryId, { limit: 200 });
  expect(listed.map((e) => e.requestId)).toEqual(Array.from({ length: 120 }, (_, i) => `req-${120 - i}`));
  const older = await log.list(directoryId, { limit: 5, before: listed[99]?.id as string });
  expect(older.map((e) => e.requestId)).toEqual(['req-20', 'req-19', 'req-18', 'req-17', 'req-16']);
});

it('keeps a body with U+0000 in it (jsonb cannot), and the entries flushed with it', async () => {
  const directoryId = randomUUID();
  log.record(entry(directoryId, 1));
  log.record(entry(directoryId, 2, { requestBody: redactBody({ userName: 'nul\u0000in@example.com', tags: ['a\u0000b'] }) }));
  log.record(entry(directoryId, 3));
  const listed = await log.list(directoryId, { limit: 10 });
  expect(listed.map((e) => e.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
  expect(listed[1]?.requestBody).toEqual({ userName: 'nul\uFFFDin@example.com', tags: ['a\uFFFDb'] });
  expect(errors).toEqual([]);
});

it('keeps keys, errors and paths jsonb cannot hold (U+0000, lone surrogates) and long strings cut inside an emoji', async () => {
  const directoryId = randomUUID();
  const cutEmoji = `${'a'.repeat(1_999)}😀tail`;
  log.record(entry(directoryId, 1, { requestBody: redactBody({ 'a\u0000b': 1, 'lone\ud800': 'x\udc00y', long: cutEmoji }) }));
  log.record(entry(directoryId, 2, { error: 'invalid attribute name "a\u0000b\ud800"', path: '/Users?attributes=a%00b' }));
  log.record(entry(directoryId, 3));
  const listed = await log.list(directoryId, { limit: 10 });
  expect(listed.map((e) => e.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
  expect(listed[2]?.requestBody).toEqual({ 'a\uFFFDb': 1, 'lone\uFFFD': 'x\uFFFDy', long: `${'a'.repeat(1_999)}…` });
  expect(listed[1]?.error).toBe('invalid attribute name "a\uFFFDb\uFFFD"');
  expect(errors).toEqual([]);
});

it('drops only the entry PostgreSQL refuses, not the rest of its batch', async () => {
  const directoryId = randomUUID();
  // A request id longer than the column allows is not something the gateway produces; it stands in for
  // any entry the server refuses.
  await pool.query('ALTER TABLE scim_request_log ADD CONSTRAINT rl_probe_short_id CHECK (length(request_id) < 100)');
  try {
    log.record(entry(directoryId, 1));
    log.record(entry(directoryId, 2, { requestId: 'r'.repeat(120) }));
    log.record(entry(directoryId, 3));
    const listed = await log.list(directoryId, { limit: 10 });
    expect(listed.map((e) => e.requestId)).toEqual(['req-3', 'req-1']);
    expect(errors).toEqual([expect.stringMatching(/^request log write failed \(1 of 3 entries dropped\): .*rl_probe_short_id/)]);
  } finally {
    errors.length = 0;
    await pool.query('ALTER TABLE scim_request_log DROP CONSTRAINT rl_probe_short_id');
  }
});
