import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createDirectory, management, startIngress, type Ingress, type TestDirectory } from './ingress.test-support';

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
let ingress: Ingress;
let dir: TestDirectory;
let other: TestDirectory;
const out: Record<string, unknown> = {};

function raw(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const u = new URL(ingress.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, agent: false, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8').slice(0, 400) }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) {
      if (opts.chunked) {
        const b = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
        for (let i = 0; i < b.length; i += 4096) req.write(b.subarray(i, i + 4096));
      } else req.write(opts.body);
    }
    req.end();
  });
}

function base(d: TestDirectory): string {
  return new URL(d.endpointUrl).pathname;
}
function auth(d: TestDirectory, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${d.token}`, accept: 'application/scim+json', ...extra };
}
function pick(r: { status: number; headers: Record<string, unknown>; text: string }) {
  return { status: r.status, ct: r.headers['content-type'], xrid: r.headers['x-request-id'] ?? null, allow: r.headers['allow'], www: r.headers['www-authenticate'], etag: r.headers['etag'], location: r.headers['location'], text: r.text };
}

beforeAll(async () => {
  ingress = await startIngress({ SCIM_MAX_BODY_BYTES: String(16 * 1024) });
  dir = await createDirectory(ingress, 'onelogin');
  other = await createDirectory(ingress, 'okta');
}, 60_000);

afterAll(async () => {
  writeFileSync('/tmp/probe/out.json', JSON.stringify(out, null, 2));
  await ingress?.close();
});

it('probes', async () => {
  const b = base(dir);
  const json = (o: unknown) => JSON.stringify(o);
  const created = await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/scim+json' }), body: json({ schemas: [USER_URN], userName: 'probe@example.com' }) });
  out['create'] = pick(created);
  const id = JSON.parse(created.text).id as string;
  out['badEncodingInId'] = pick(await raw('GET', `${b}/Users/%ZZ`, { headers: auth(dir) }));
  out['badEncodingInIdNoAuth'] = pick(await raw('GET', `${b}/Users/%ZZ`, { headers: { accept: 'application/scim+json' } }));
  out['badEncodingInDir'] = pick(await raw('GET', `/directory/%ZZ/scim/v2/Users`, { headers: auth(dir) }));
  out['badEncodingQuery'] = pick(await raw('GET', `${b}/Users?filter=%ZZ`, { headers: auth(dir) }));
  out['badEncodingMgmt'] = pick(await raw('GET', `/api/v1/directories/%ZZ/tokens`, { headers: { authorization: 'Bearer x' } }));
  out['schemaById'] = pick(await raw('GET', `${b}/Schemas/${USER_URN}`, { headers: auth(dir) }));
  out['resourceTypeUser'] = pick(await raw('GET', `${b}/ResourceTypes/User`, { headers: auth(dir) }));
  out['getUpperId'] = pick(await raw('GET', `${b}/Users/${id.toUpperCase()}`, { headers: auth(dir) }));
  out['getId'] = pick(await raw('GET', `${b}/Users/${id}`, { headers: auth(dir) }));
  out['getIdTrailing'] = pick(await raw('GET', `${b}/Users/${id}/`, { headers: auth(dir) }));
  out['getEncodedSlashId'] = pick(await raw('GET', `${b}/Users/a%2Fb`, { headers: auth(dir) }));
  out['noContentType'] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir), body: json({ schemas: [USER_URN], userName: 'noct@example.com' }) }));
  out['emptyBodyJson'] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/json', 'content-length': '0' }) }));
  for (const ct of ['application/json;', 'json', 'text', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', '', 'Application/SCIM+JSON']) {
    out[`ct:${ct}`] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': ct }), body: json({ schemas: [USER_URN], userName: `ct${Math.random()}@example.com` }) }));
  }
  out['oversizeChunked'] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/json' }), body: json({ schemas: [USER_URN], userName: 'big@example.com', displayName: 'x'.repeat(40000) }), chunked: true }));
  out['crossDirToken'] = pick(await raw('GET', `${base(other)}/Users/${id}`, { headers: auth(dir) }));
  out['crossDirDotDot'] = pick(await raw('GET', `${b}/../../../${base(other).slice(1)}/Users`, { headers: auth(dir) }));
  out['unknownNoAuth'] = pick(await raw('GET', `${b}/Devices`, { headers: { accept: 'application/scim+json' } }));
  out['longIdNoAuth'] = pick(await raw('GET', `${b}/Users/${'x'.repeat(3000)}`, { headers: { accept: 'application/scim+json' } }));
  out['longId'] = pick(await raw('GET', `${b}/Users/${'x'.repeat(3000)}`, { headers: auth(dir) }));
  out['options'] = pick(await raw('OPTIONS', `${b}/Users`, { headers: auth(dir) }));
  out['headList'] = pick(await raw('HEAD', `${b}/Users`, { headers: auth(dir) }));
  out['head404'] = pick(await raw('HEAD', `${b}/Nope`, { headers: auth(dir) }));
  out['repeatedQuery'] = pick(await raw('GET', `${b}/Users?count=1&count=2`, { headers: auth(dir) }));
  out['plusQuery'] = pick(await raw('GET', `${b}/Users?filter=userName+eq+%22probe%40example.com%22`, { headers: auth(dir) }));
  out['doubleSlash'] = pick(await raw('GET', `${b}//Users`, { headers: auth(dir) }));
  out['upperBase'] = pick(await raw('GET', `${b.toUpperCase().replace(dir.directoryId.toUpperCase(), dir.directoryId)}/Users`, { headers: auth(dir) }));
  out['upperDirId'] = pick(await raw('GET', `/directory/${dir.directoryId.toUpperCase()}/scim/v2/Users`, { headers: auth(dir) }));
  out['semicolon'] = pick(await raw('GET', `${b}/Users;x=1`, { headers: auth(dir) }));
  out['acceptJsonError'] = pick(await raw('GET', `${b}/Nope`, { headers: auth(dir, { accept: 'application/json' }) }));
  out['putNoId'] = pick(await raw('PUT', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/json' }), body: '{}' }));
  out['badJson'] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/json' }), body: '{"a":' }));
  out['contentLengthMismatch'] = pick(await raw('POST', `${b}/Users`, { headers: auth(dir, { 'content-type': 'application/json', 'content-length': '5' }), body: '{}' }));
  out['patch405'] = pick(await raw('PATCH', `${b}/Schemas`, { headers: auth(dir, { 'content-type': 'application/json' }), body: '{}' }));
  out['mgmt404'] = pick(await raw('GET', `/api/v1/nope`, { headers: { authorization: 'Bearer x' } }));
  out['scimBaseNoSlashUnknownNoAuth'] = pick(await raw('GET', `${b}`, {}));
  out['oversizeNoAuth'] = pick(await raw('POST', `${b}/Users`, { headers: { 'content-type': 'application/json', 'content-length': String(10_000_000) }, body: '{' }));
  await new Promise((r) => setTimeout(r, 500));
  const log = await management(ingress, 'GET', `/directories/${dir.directoryId}/scim-requests?limit=100`);
  out['log'] = (log.body['requests'] as Record<string, unknown>[]).map((r) => ({ m: r['method'], p: String(r['path']).slice(0, 80), s: r['status'], e: r['error'], ev: (r['events'] as unknown[])?.length }));
}, 60_000);
