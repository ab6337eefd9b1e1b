import { requiredEnv } from '@scimbridge/testing';
import { Client } from 'pg';
import { createDirectory, http, management, scimClient, startIngress, type Ingress, type TestDirectory } from './ingress.test-support';

/*
 * Bad requests: each gets the right SCIM error (status, scimType, SCIM Error schema) and leaves no event
 * behind. Authentication failures are 401 with WWW-Authenticate, never a 200, never another directory's data.
 */

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

let ingress: Ingress;
let db: Client;

beforeAll(async () => {
  ingress = await startIngress({ SCIM_MAX_BODY_BYTES: String(64 * 1024) });
  db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await db.connect();
}, 60_000);

afterAll(async () => {
  await db?.end();
  await ingress?.close();
});

async function eventCount(directory: TestDirectory): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM scim_ingress.events WHERE metadata ->> 'directoryId' = $1`, [directory.directoryId]);
  return Number(rows[0]?.n);
}

function expectScimError(result: { status: number; body: Record<string, unknown> }, status: number, scimType?: string): void {
  expect(result.status).toBe(status);
  expect(result.body['schemas']).toEqual([ERROR_SCHEMA]);
  expect(result.body['status']).toBe(String(status));
  if (scimType) expect(result.body['scimType']).toBe(scimType);
}

describe('authentication', () => {
  it('401 with WWW-Authenticate for a missing, malformed or unknown token and an unknown directory', async () => {
    const directory = await createDirectory(ingress);
    const cases = [
      await http('GET', `${directory.endpointUrl}/Users`),
      await http('GET', `${directory.endpointUrl}/Users`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      await http('GET', `${directory.endpointUrl}/Users`, { token: `scim_${'A'.repeat(43)}` }),
      await http('GET', `${ingress.url}/directory/00000000-0000-4000-8000-000000000000/scim/v2/Users`, { token: directory.token }),
      await http('GET', `${directory.endpointUrl}/ServiceProviderConfig`, { token: 'x' }),
    ];
    for (const result of cases) {
      expectScimError(result, 401);
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it("a token of one directory never reaches another directory's data", async () => {
    const a = await createDirectory(ingress);
    const b = await createDirectory(ingress);
    const user = await scimClient(b)('POST', '/Users', { schemas: [USER_URN], userName: 'only.in.b@example.com' });
    expect(user.status).toBe(201);
    const before = await eventCount(b);
    const crossRead = await http('GET', `${b.endpointUrl}/Users/${String(user.body['id'])}`, { token: a.token });
    expectScimError(crossRead, 401);
    const crossList = await http('GET', `${b.endpointUrl}/Users`, { token: a.token });
    expectScimError(crossList, 401);
    const crossWrite = await http('POST', `${b.endpointUrl}/Users`, { token: a.token, body: { schemas: [USER_URN], userName: 'intruder@example.com' } });
    expectScimError(crossWrite, 401);
    // And the user is not visible through A's own endpoint either.
    expect((await scimClient(a)('GET', `/Users/${String(user.body['id'])}`)).status).toBe(404);
    expect(await eventCount(b)).toBe(before);
  });

  it('a revoked token stops working at once while a rotated one keeps the directory in sync', async () => {
    const directory = await createDirectory(ingress);
    const rotated = await management<{ id: string; bearerToken: string }>(ingress, 'POST', `/directories/${directory.directoryId}/tokens`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.body.bearerToken).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    // Both work during the rotation.
    expect((await http('GET', `${directory.endpointUrl}/Users`, { token: directory.token })).status).toBe(200);
    expect((await http('GET', `${directory.endpointUrl}/Users`, { token: rotated.body.bearerToken })).status).toBe(200);
    expect((await management(ingress, 'DELETE', `/directories/${directory.directoryId}/tokens/${directory.tokenId}`)).status).toBe(204);
    const before = await eventCount(directory);
    const revoked = await http('POST', `${directory.endpointUrl}/Users`, { token: directory.token, body: { schemas: [USER_URN], userName: 'late@example.com' } });
    expectScimError(revoked, 401);
    expect(await eventCount(directory)).toBe(before);
    expect((await http('GET', `${directory.endpointUrl}/Users`, { token: rotated.body.bearerToken })).status).toBe(200);
    const tokens = await management<{ tokens: { id: string; revokedAt: string | null; lastUsedAt: string | null }[] }>(ingress, 'GET', `/directories/${directory.directoryId}/tokens`);
    expect(tokens.body.tokens.find((t) => t.id === directory.tokenId)?.revokedAt).not.toBeNull();
    expect(JSON.stringify(tokens.body)).not.toContain(directory.token);
  });

  it('a disabled directory answers 401 until it is enabled again', async () => {
    const directory = await createDirectory(ingress);
    expect((await management(ingress, 'POST', `/directories/${directory.directoryId}/disable`)).body['enabled']).toBe(false);
    const before = await eventCount(directory);
    expectScimError(await http('POST', `${directory.endpointUrl}/Users`, { token: directory.token, body: { schemas: [USER_URN], userName: 'x@example.com' } }), 401);
    expect(await eventCount(directory)).toBe(before);
    expect((await management(ingress, 'POST', `/directories/${directory.directoryId}/enable`)).body['enabled']).toBe(true);
    expect((await http('GET', `${directory.endpointUrl}/Users`, { token: directory.token })).status).toBe(200);
  });

  it('the management API refuses a missing or wrong key and validates its input', async () => {
    expect((await http('POST', `${ingress.url}/api/v1/organizations`, { rawBody: '{"name":"x"}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect(
      (await http('POST', `${ingress.url}/api/v1/organizations`, { rawBody: '{"name":"x"}', headers: { 'content-type': 'application/json', authorization: `Bearer ${'w'.repeat(40)}` } })).status,
    ).toBe(403);
    expect((await management(ingress, 'POST', '/organizations', { name: '' })).status).toBe(400);
    const org = await management<{ id: string }>(ingress, 'POST', '/organizations', { name: 'Acme' });
    const bad = await management(ingress, 'POST', `/organizations/${org.body.id}/directories`, { provider: 'myspace' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('provider must be one of');
    expect((await management(ingress, 'POST', '/organizations/00000000-0000-4000-8000-000000000000/directories', { provider: 'okta' })).status).toBe(404);
    // An organization can be read back (other services check organizations this way), an unknown one is 404.
    const read = await management<{ id: string; name: string }>(ingress, 'GET', `/organizations/${org.body.id}`);
    expect([read.status, read.body.id, read.body.name]).toEqual([200, org.body.id, 'Acme']);
    expect((await management(ingress, 'GET', '/organizations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await management(ingress, 'GET', '/organizations/not-a-uuid')).status).toBe(400);
  });
});

describe('invalid SCIM requests leave no event', () => {
  let directory: TestDirectory;
  let scim: ReturnType<typeof scimClient>;
  let groupId: string;

  beforeAll(async () => {
    directory = await createDirectory(ingress);
    scim = scimClient(directory);
    await scim('POST', '/Users', { schemas: [USER_URN], userName: 'taken@example.com' });
    groupId = String((await scim('POST', '/Groups', { displayName: 'Engineering' })).body['id']);
  });

  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string | undefined][] = [
    ['malformed JSON', () => http('POST', `${directory.endpointUrl}/Users`, { token: directory.token, rawBody: '{"userName": "a@b.c",', headers: { 'content-type': 'application/scim+json' } }), 400, 'invalidSyntax'],
    ['a Group schema URI sent to /Users', () => scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], userName: 'x@example.com' }), 400, undefined],
    ['missing userName', () => scim('POST', '/Users', { schemas: [USER_URN], name: { givenName: 'No' } }), 400, undefined],
    ['a PATCH to an unknown attribute', () => scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'favouriteColour', value: 'blue' }] }), 400, 'invalidPath'],
    ['an invalid filter', () => scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter'],
    ['an oversize body', () => scim('POST', '/Users', { schemas: [USER_URN], userName: 'big@example.com', displayName: 'x'.repeat(70 * 1024) }), 413, undefined],
    ['a userName clash (other case)', () => scim('POST', '/Users', { schemas: [USER_URN], userName: 'TAKEN@example.com' }), 409, 'uniqueness'],
    ['a group displayName clash', () => scim('POST', '/Groups', { displayName: 'engineering' }), 409, 'uniqueness'],
    ['members that are not users of this directory', () => scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }] }), 400, 'invalidValue'],
    ['a stale If-Match', () => scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Eng' }] }, { 'if-match': 'W/"99"' }), 412, undefined],
    ['an unknown resource', () => scim('PUT', '/Users/does-not-exist', { schemas: [USER_URN], userName: 'ghost@example.com' }), 404, undefined],
    ['an unknown endpoint', () => scim('GET', '/Widgets'), 404, undefined],
  ];

  it.each(cases)('%s', async (_name, send, status, scimType) => {
    const before = await eventCount(directory);
    expectScimError(await send(), status, scimType);
    expect(await eventCount(directory)).toBe(before);
  });

  it('a write to a discovery endpoint is 405 with Allow, in SCIM format', async () => {
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes/User']) {
      const reply = await scim('PUT', path, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
      expectScimError(reply, 405, undefined);
      expect(reply.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('If-Match with the current version applies', async () => {
    const current = await scim('GET', `/Groups/${groupId}`);
    const etag = current.headers.get('etag') as string;
    const renamed = await scim('PATCH', `/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Engineering EU' }] }, { 'if-match': etag });
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get('etag')).not.toBe(etag);
  });
});

describe('limits', () => {
  it('caps count at the page size ServiceProviderConfig declares', async () => {
    const directory = await createDirectory(ingress);
    const spc = await scimClient(directory)('GET', '/ServiceProviderConfig');
    const max = (spc.body['filter'] as { maxResults: number }).maxResults;
    expect(max).toBe(ingress.service.config.SCIM_MAX_PAGE_SIZE);
    const list = await scimClient(directory)('GET', `/Users?count=${max + 500}`);
    expect(list.status).toBe(200);
  });

  it('rate-limits a directory with 429 and Retry-After, and failed authentications per client', async () => {
    const limited = await startIngress({ SCIM_RATE_LIMIT_PER_SECOND: '5', SCIM_RATE_LIMIT_BURST: '5', SCIM_AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      const directory = await createDirectory(limited);
      const statuses = await Promise.all(Array.from({ length: 30 }, () => http('GET', `${directory.endpointUrl}/Users`, { token: directory.token })));
      const rejected = statuses.filter((r) => r.status === 429);
      expect(rejected.length).toBeGreaterThan(0);
      expect(Number(rejected[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expectScimError(rejected[0] as { status: number; body: Record<string, unknown> }, 429);

      for (let i = 0; i < 3; i += 1) expect((await http('GET', `${directory.endpointUrl}/Users`, { token: 'wrong' })).status).toBe(401);
      const blocked = await http('GET', `${directory.endpointUrl}/Users`, { token: 'wrong' });
      expectScimError(blocked, 429);
      expect(blocked.headers.get('retry-after')).not.toBeNull();
    } finally {
      await limited.close();
    }
  });
});

describe('request log', () => {
  it('keeps every SCIM request of a directory with status, latency, events and a redacted body', async () => {
    const directory = await createDirectory(ingress);
    const scim = scimClient(directory);
    const created = await scim('POST', '/Users', { schemas: [USER_URN], userName: 'logged@example.com', password: 'hunter2-secret' });
    await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "logged@example.com"')}`);
    await http('GET', `${directory.endpointUrl}/Users`, { token: 'not-the-token' });
    const log = await management<{ requests: { method: string; path: string; status: number; latencyMs: number; events: { type: string }[]; requestBody: Record<string, unknown> | null }[] }>(
      ingress,
      'GET',
      `/directories/${directory.directoryId}/scim-requests?limit=10`,
    );
    expect(log.status).toBe(200);
    const [unauthorized, lookup, create] = log.body.requests;
    expect(create).toMatchObject({ method: 'POST', path: '/Users', status: 201, events: [{ type: 'UserProvisioned' }] });
    expect(create?.requestBody?.['password']).toBe('[redacted]');
    expect(lookup).toMatchObject({ method: 'GET', status: 200, events: [] });
    expect(lookup?.path).toContain('/Users?filter=');
    expect(unauthorized).toMatchObject({ status: 401 });
    expect(create?.latencyMs).toBeGreaterThan(0);
    expect(JSON.stringify(log.body)).not.toContain('hunter2-secret');
    expect(created.status).toBe(201);
  });
});
