import { requiredEnv } from '@scimbridge/testing';
import { Client } from 'pg';
import { createDirectory, http, management, startIngress, type HttpResult, type Ingress, type TestDirectory } from './ingress.test-support';

/*
 * Portal links and sessions on the real ingress: the app's backend makes a link, the portal's browser
 * exchanges it for a session cookie, and that cookie reaches its own organization's directories only.
 */

let ingress: Ingress;
let db: Client;

beforeAll(async () => {
  ingress = await startIngress({ PORTAL_URL: 'http://127.0.0.1:4999' });
  db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await db.connect();
}, 60_000);

afterAll(async () => {
  await db?.end();
  await ingress?.close();
});

interface Link {
  id: string;
  url: string;
  kind: string;
  expiresAt: string;
}

async function makeLink(directory: TestDirectory, body: Record<string, unknown> = {}): Promise<Link> {
  const made = await management<Link>(ingress, 'POST', `/organizations/${directory.organizationId}/portal-links`, body);
  expect(made.status).toBe(201);
  return made.body;
}

const tokenOf = (link: Link): string => new URL(link.url).hash.replace(/^#token=/, '');

async function open(token: string): Promise<HttpResult<{ organization?: { id: string }; reason?: string; message?: string }>> {
  return http('POST', `${ingress.url}/api/v1/portal-sessions`, { body: { token }, headers: { 'content-type': 'application/json', accept: 'application/json' } });
}

/** The session cookie (name=value) set by a successful open. */
function cookieFrom(result: HttpResult<unknown>): string {
  const header = result.headers.get('set-cookie') ?? '';
  expect(header).toMatch(/^scimbridge_portal=v1\.[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
  return header.split(';')[0] as string;
}

function asPortal(cookie: string, method: string, path: string, options: { body?: unknown; csrf?: boolean } = {}): Promise<HttpResult<Record<string, unknown>>> {
  return http(method, `${ingress.url}/api/v1${path}`, {
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: { cookie, accept: 'application/json', 'content-type': 'application/json', ...(options.csrf === false ? {} : { 'x-scimbridge-portal': '1' }) },
  });
}

describe('portal links', () => {
  it('opens a session for its organization, which sees its own directories and nothing of another organization', async () => {
    const a = await createDirectory(ingress);
    const b = await createDirectory(ingress);
    const link = await makeLink(a);
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:4999\/open#token=pl_[A-Za-z0-9_-]{43}$/);
    expect(link.kind).toBe('shareable');
    // Only the hash is stored.
    const { rows } = await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM scim_ingress.portal_links WHERE id = $1', [link.id]);
    expect(rows[0]?.token_hash.length).toBe(32);
    expect(JSON.stringify(rows)).not.toContain(tokenOf(link));

    const opened = await open(tokenOf(link));
    expect(opened.status).toBe(201);
    expect(opened.body.organization?.id).toBe(a.organizationId);
    const cookie = cookieFrom(opened);

    const me = await asPortal(cookie, 'GET', '/portal-sessions/current');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'organization', organization: { id: a.organizationId } });
    expect((await asPortal(cookie, 'GET', `/organizations/${a.organizationId}/directories`)).body['directories']).toEqual([expect.objectContaining({ id: a.directoryId })]);
    expect((await asPortal(cookie, 'GET', `/directories/${a.directoryId}/connection`)).status).toBe(200);
    expect((await asPortal(cookie, 'GET', `/directories/${a.directoryId}/scim-requests`)).status).toBe(200);

    // Organization B's data is 404, whatever the route, as if it did not exist.
    for (const path of [`/organizations/${b.organizationId}`, `/organizations/${b.organizationId}/directories`, `/directories/${b.directoryId}/connection`, `/directories/${b.directoryId}/tokens`, `/directories/${b.directoryId}/scim-requests`]) {
      expect([path, (await asPortal(cookie, 'GET', path)).status]).toEqual([path, 404]);
    }
    for (const [method, path] of [
      ['POST', `/directories/${b.directoryId}/tokens`],
      ['DELETE', `/directories/${b.directoryId}/tokens/${b.tokenId}`],
      ['POST', `/directories/${b.directoryId}/disable`],
      ['DELETE', `/directories/${b.directoryId}`],
      ['POST', `/organizations/${b.organizationId}/directories`],
    ] as const) {
      expect([path, (await asPortal(cookie, method, path, { body: method === 'POST' ? (path.endsWith('/directories') ? { provider: 'okta' } : {}) : undefined })).status]).toEqual([path, 404]);
    }
    // B's token still works: nothing was revoked, disabled or deleted.
    expect((await http('GET', `${b.endpointUrl}/Users`, { token: b.token })).status).toBe(200);
  });

  it('lets a session configure its own organization, but not make links or organizations, and refuses writes without the portal header', async () => {
    const a = await createDirectory(ingress);
    const cookie = cookieFrom(await open(tokenOf(await makeLink(a))));
    const created = await asPortal(cookie, 'POST', `/organizations/${a.organizationId}/directories`, { body: { provider: 'okta' } });
    expect(created.status).toBe(201);
    expect(created.body['bearerToken']).toMatch(/^scim_/);
    const rotated = await asPortal(cookie, 'POST', `/directories/${a.directoryId}/tokens`, { body: {} });
    expect(rotated.status).toBe(201);
    expect((await asPortal(cookie, 'DELETE', `/directories/${a.directoryId}/tokens/${a.tokenId}`)).status).toBe(204);
    expect((await http('GET', `${a.endpointUrl}/Users`, { token: a.token })).status).toBe(401);

    // A cross-site form could send the cookie, never this header.
    const forged = await asPortal(cookie, 'POST', `/directories/${a.directoryId}/disable`, { csrf: false });
    expect(forged.status).toBe(403);
    expect((await asPortal(cookie, 'DELETE', `/directories/${a.directoryId}`, { csrf: false })).status).toBe(403);
    // With it, the session may delete its own organization's directory.
    const other = await asPortal(cookie, 'POST', `/organizations/${a.organizationId}/directories`, { body: { provider: 'generic' } });
    expect((await asPortal(cookie, 'DELETE', `/directories/${String(other.body['id'])}`)).status).toBe(202);
    expect((await asPortal(cookie, 'GET', `/directories/${String(other.body['id'])}/connection`)).status).toBe(404);
    expect(String(forged.body['message'])).toMatch(/x-scimbridge-portal/);
    // Management-only routes do not take a session at all.
    expect((await asPortal(cookie, 'POST', '/organizations', { body: { name: 'sneaky' } })).status).toBe(401);
    expect((await asPortal(cookie, 'POST', `/organizations/${a.organizationId}/portal-links`, { body: {} })).status).toBe(401);
    expect((await asPortal(cookie, 'GET', `/organizations/${a.organizationId}/portal-links`)).status).toBe(401);
  });

  it('refuses unknown, expired, revoked and reused links with the reason, and tampered or signed-out sessions', async () => {
    const a = await createDirectory(ingress);
    const unknown = await open(`pl_${'A'.repeat(43)}`);
    expect([unknown.status, unknown.body.reason]).toEqual([401, 'unknown']);
    expect((await open('not-a-token')).status).toBe(400);

    const revoked = await makeLink(a);
    expect((await management(ingress, 'DELETE', `/organizations/${a.organizationId}/portal-links/${revoked.id}`)).status).toBe(204);
    const r = await open(tokenOf(revoked));
    expect([r.status, r.body.reason]).toEqual([401, 'revoked']);
    expect(r.body.message).toMatch(/revoked/);

    const expired = await makeLink(a);
    await db.query(`UPDATE scim_ingress.portal_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    const e = await open(tokenOf(expired));
    expect([e.status, e.body.reason]).toEqual([401, 'expired']);

    // An embedded link: valid for a minute, and once only.
    const embedded = await makeLink(a, { kind: 'embedded' });
    expect(new Date(embedded.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    const first = await open(tokenOf(embedded));
    expect(first.status).toBe(201);
    const again = await open(tokenOf(embedded));
    expect([again.status, again.body.reason]).toEqual([401, 'used']);
    expect((await management(ingress, 'POST', `/organizations/${a.organizationId}/portal-links`, { kind: 'embedded', expiresInDays: 3 })).status).toBe(400);

    // A shareable link opens any number of sessions until it expires.
    const shareable = await makeLink(a);
    expect((await open(tokenOf(shareable))).status).toBe(201);
    const cookie = cookieFrom(await open(tokenOf(shareable)));
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('A') ? 'B' : 'A'}${value.slice(-1)}`;
    expect((await asPortal(tampered, 'GET', `/directories/${a.directoryId}/connection`)).status).toBe(401);
    // A session token another organization's payload was pasted into fails its signature too.
    const [v, , mac] = value.split('.') as [string, string, string];
    const foreignPayload = Buffer.from(JSON.stringify({ sid: 'x', org: '00000000-0000-4000-8000-000000000000', lnk: 'x', exp: 4102444800 })).toString('base64url');
    expect((await asPortal(`${name}=${v}.${foreignPayload}.${mac}`, 'GET', '/portal-sessions/current')).status).toBe(401);

    const out = await http('DELETE', `${ingress.url}/api/v1/portal-sessions/current`, { headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^scimbridge_portal=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
    // Links list for the app's backend: no secrets in it.
    const listed = await management<{ links: Record<string, unknown>[] }>(ingress, 'GET', `/organizations/${a.organizationId}/portal-links`);
    expect(listed.body.links.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(listed.body)).not.toMatch(/pl_|token_hash|url/);
  });
});
