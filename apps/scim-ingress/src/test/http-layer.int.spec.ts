import { request as httpRequest } from 'node:http';
import { createDirectory, http, management, scimClient, startIngress, type Ingress, type TestDirectory } from './ingress.test-support';

/*
 * What the HTTP layer must do for IdPs whatever platform runs it (Express before, Fastify now): paths
 * match case-insensitively and with a trailing slash, HEAD answers like GET without a body, any media type
 * carries JSON, and every failure under a SCIM base URL is a SCIM Error — including those the router and
 * the body parser produce before a controller runs. The management API keeps Nest's JSON errors.
 */

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

let ingress: Ingress;
let directory: TestDirectory;
let scim: ReturnType<typeof scimClient>;

beforeAll(async () => {
  ingress = await startIngress({ SCIM_MAX_BODY_BYTES: String(16 * 1024) });
  directory = await createDirectory(ingress, 'onelogin');
  scim = scimClient(directory);
}, 60_000);

afterAll(async () => {
  await ingress?.close();
});

function expectScimError(result: { status: number; body: Record<string, unknown>; headers: Headers }, status: number, scimType?: string): void {
  expect({ status: result.status, schemas: result.body?.['schemas'] }).toEqual({ status, schemas: [ERROR_SCHEMA] });
  expect(result.body['status']).toBe(String(status));
  expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  if (scimType) expect(result.body['scimType']).toBe(scimType);
}

describe('routing', () => {
  it('matches resource paths case-insensitively and with a trailing slash, as IdPs send them', async () => {
    const created = await scim('POST', '/users', { schemas: [USER_URN], userName: 'lower.case@example.com' });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    expect((await scim('GET', `/USERS/${id}`)).body['userName']).toBe('lower.case@example.com');
    const listed = await scim('GET', '/Users/?filter=userName+eq+%22lower.case%40example.com%22');
    expect(listed.status).toBe(200);
    expect(listed.body['totalResults']).toBe(1);
    expect((await scim('GET', '/serviceproviderconfig')).status).toBe(200);
  });

  it('answers HEAD like GET, without a body', async () => {
    const created = await scim('POST', '/Users', { schemas: [USER_URN], userName: 'head.request@example.com' });
    const got = await scim('GET', `/Users/${created.body['id'] as string}`);
    const head = await scim('HEAD', `/Users/${created.body['id'] as string}`);
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('etag')).toBe(got.headers.get('etag'));
  });

  it('answers every unknown path under the SCIM base URL with a SCIM 404, and discovery writes with 405', async () => {
    expectScimError(await scim('GET', ''), 404);
    expectScimError(await scim('GET', '/Users/a/b'), 404);
    expectScimError(await scim('GET', `/Users/${'x'.repeat(3000)}`), 404);
    // a directory id longer than the router takes (1,024): still under a SCIM base URL, a SCIM 414
    const longDirectory = directory.endpointUrl.replace(/\/directory\/[^/]+/, `/directory/${'d'.repeat(1100)}`);
    expectScimError(await http('GET', `${longDirectory}/Users`, { token: directory.token }), 414);
    expectScimError(await http('GET', `${longDirectory.replace('/scim/', '/%73cim/')}/Users`, { token: directory.token }), 414);
    expectScimError(await scim('GET', '/Devices'), 404);
    for (const [method, path] of [['POST', '/Schemas/x'], ['DELETE', '/ResourceTypes/User'], ['PATCH', '/ServiceProviderConfig'], ['POST', '/resourcetypes']] as const) {
      const reply = await scim(method, path, method === 'DELETE' ? undefined : { schemas: [USER_URN] });
      expectScimError(reply, 405);
      expect(reply.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('answers paths outside the SCIM base URL and the management API with a plain JSON 404', async () => {
    const reply = await http('GET', `${ingress.url}/no/such/path`);
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ statusCode: 404 });
  });
});

describe('the gateway cannot be bypassed', () => {
  it('treats percent-encoded spellings of the SCIM base URL as SCIM: 401 without a token, served with one', async () => {
    const base = new URL(directory.endpointUrl);
    const encoded = [
      base.pathname.replace('/scim/', '/%73cim/'),
      base.pathname.replace('/directory/', '/%64irectory/'),
      base.pathname.replace('/v2', '/%762'),
    ];
    for (const path of encoded) {
      const url = `${base.origin}${path}/Users`;
      expectScimError(await http('GET', url), 401);
      expectScimError(await http('POST', url, { rawBody: '{"not json', headers: { 'content-type': 'application/scim+json' } }), 401);
      const listed = await http('GET', url, { token: directory.token });
      expect({ path, status: listed.status }).toEqual({ path, status: 200 });
      expect(listed.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('answers a path that is not valid percent-encoding with a SCIM 400 under the base URL, JSON elsewhere', async () => {
    const encodedBase = directory.endpointUrl.replace('/scim/', '/%73cim/');
    for (const url of [
      `${directory.endpointUrl}/Users/%ZZ`,
      directory.endpointUrl.replace(/\/directory\/[^/]+/, '/directory/%ZZ') + '/Users',
      `${encodedBase}/Users/%ZZ`, // the base URL spelt with escapes, and a bad one after it
    ]) {
      const reply = await raw('GET', url, { authorization: `Bearer ${directory.token}` });
      expect({ url, status: reply.status }).toEqual({ url, status: 400 });
      expect(JSON.parse(reply.body)).toMatchObject({ schemas: [ERROR_SCHEMA], status: '400' });
      expect(reply.headers['x-request-id']).toBeTruthy();
    }
    const outside = await raw('GET', `${ingress.url}/api/%ZZ`, {});
    expect(outside.status).toBe(400);
    expect(JSON.parse(outside.body)).toMatchObject({ statusCode: 400 });
  });
});

describe('request targets', () => {
  it('serves an absolute-form target (as a proxy sends it) and logs its path below the base URL', async () => {
    const reply = await raw('GET', directory.endpointUrl, { authorization: `Bearer ${directory.token}` }, undefined, `${directory.endpointUrl}/Users?count=1`);
    expect(reply.status).toBe(200);
    const log = await management<{ requests: { path: string; status: number }[] }>(ingress, 'GET', `/directories/${directory.directoryId}/scim-requests?limit=1`);
    expect(log.body.requests[0]).toMatchObject({ path: '/Users?count=1', status: 200 });
  });
});

describe('bodies', () => {
  it('parses JSON whatever the media type says, and answers in the media type the client accepts', async () => {
    for (const [contentType, userName] of [
      ['application/json', 'json.type@example.com'],
      ['text/plain', 'text.type@example.com'],
      ['application/scim+json; charset=utf-8', 'scim.type@example.com'],
    ]) {
      const reply = await http('POST', `${directory.endpointUrl}/Users`, {
        token: directory.token,
        rawBody: JSON.stringify({ schemas: [USER_URN], userName }),
        headers: { 'content-type': contentType as string, accept: 'application/json' },
      });
      expect({ contentType, status: reply.status }).toEqual({ contentType, status: 201 });
      expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });

  it('reads a body with an empty or no Content-Type as JSON', async () => {
    for (const [label, headers] of [
      ['empty', { 'content-type': '' }],
      ['none', {}],
    ] as const) {
      const body = JSON.stringify({ schemas: [USER_URN], userName: `no.type.${label}@example.com` });
      const reply = await raw('POST', `${directory.endpointUrl}/Users`, { authorization: `Bearer ${directory.token}`, ...headers }, body);
      expect({ label, status: reply.status }).toEqual({ label, status: 201 });
    }
  });

  it('rejects JSON with a prototype key, and a body over the limit, as SCIM errors', async () => {
    const poisoned = await http('POST', `${directory.endpointUrl}/Users`, {
      token: directory.token,
      rawBody: `{"schemas":["${USER_URN}"],"userName":"proto@example.com","__proto__":{"admin":true}}`,
      headers: { 'content-type': 'application/scim+json' },
    });
    expectScimError(poisoned, 400, 'invalidSyntax');
    const oversize = await scim('POST', '/Users', { schemas: [USER_URN], userName: 'big@example.com', displayName: 'x'.repeat(20 * 1024) });
    expectScimError(oversize, 413);
    expect(oversize.body['detail']).toBe(`request body larger than ${16 * 1024} bytes`);
  });

  it('an unauthenticated request is refused before its body is read: 401, never 413 or 400', async () => {
    const reply = await http('POST', `${directory.endpointUrl}/Users`, { token: 'scim_wrong', rawBody: '{"not json', headers: { 'content-type': 'application/scim+json' } });
    expectScimError(reply, 401);
  });

  it('the management API keeps its JSON error shape for bad JSON and oversize bodies', async () => {
    const headers = { authorization: `Bearer test-management-key-${'x'.repeat(32)}`, 'content-type': 'application/json', accept: 'application/json' };
    const bad = await http('POST', `${ingress.url}/api/v1/organizations`, { rawBody: '{"name": ', headers });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const big = await http('POST', `${ingress.url}/api/v1/organizations`, { rawBody: JSON.stringify({ name: 'x'.repeat(20 * 1024) }), headers });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ statusCode: 413, message: 'request body too large' });
    const ok = await management(ingress, 'POST', '/organizations', { name: 'fine' });
    expect(ok.status).toBe(201);
  });
});

describe('at LOG_LEVEL=info (the HTTP request logger mounted)', () => {
  let verbose: Ingress;
  beforeAll(async () => {
    verbose = await startIngress({ LOG_LEVEL: 'info' });
  }, 60_000);
  afterAll(async () => {
    await verbose?.close();
  });

  it('serves SCIM and refuses bad tokens exactly as at the default level', async () => {
    const dir = await createDirectory(verbose, 'onelogin');
    const client = scimClient(dir);
    const created = await client('POST', '/Users', { schemas: [USER_URN], userName: 'info.level@example.com' });
    expect(created.status).toBe(201);
    expect((await client('GET', `/Users/${created.body['id'] as string}`)).status).toBe(200);
    expectScimError(await http('GET', `${dir.endpointUrl}/Users`, { token: 'scim_nope' }), 401);
  });
});

/** A request exactly as given (fetch would normalise the path and always set a Content-Type). */
function raw(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
  requestTarget?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  // URL keeps `%ZZ` as it is; the path goes out byte for byte (or `requestTarget` as given).
  const path = requestTarget ?? url.slice(target.origin.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.hostname, port: target.port, method, path, headers: { ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
