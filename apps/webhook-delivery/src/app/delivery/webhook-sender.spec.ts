import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-sender';

/* Against a real local HTTP server: what one attempt does with the answers a receiver can give. */

let server: Server;
let port = 0;
let seen: { host: string | undefined; headers: IncomingHttpHeaders; body: string }[] = [];
let answer: (res: import('node:http').ServerResponse) => void = (res) => res.writeHead(204).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ host: req.headers.host, headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  seen = [];
});

/** A name that does not resolve anywhere, pinned to the local server: the request must use the pin. */
const target = (path = '/hook') => ({ url: new URL(`http://hooks.example.invalid:${port}${path}`), address: '127.0.0.1', family: 4 as const });

describe('postWebhook', () => {
  it('connects to the checked address while keeping the URL host in the Host header, and sends the body and headers', async () => {
    answer = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    const outcome = await postWebhook(target(), '{"a":1}', { 'webhook-id': 'id-1', 'content-type': 'application/json' }, 2_000);
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, error: null, snippet: 'thanks' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.host).toBe(`hooks.example.invalid:${port}`);
    expect(seen[0]?.headers['webhook-id']).toBe('id-1');
    expect(seen[0]?.body).toBe('{"a":1}');
  });

  it('treats any 2xx as success and anything else as failure, keeping a snippet of the answer', async () => {
    answer = (res) => res.writeHead(299).end();
    expect((await postWebhook(target(), '{}', {}, 2_000)).ok).toBe(true);
    answer = (res) => res.writeHead(500).end('x'.repeat(5_000));
    const failed = await postWebhook(target(), '{}', {}, 2_000);
    expect(failed).toMatchObject({ ok: false, statusCode: 500, error: 'HTTP 500' });
    expect(failed.snippet).toHaveLength(1024);
  });

  it('never follows a redirect: a 3xx is a failure and the Location is not requested', async () => {
    answer = (res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    const outcome = await postWebhook(target(), '{}', {}, 2_000);
    expect(outcome).toMatchObject({ ok: false, statusCode: 302 });
    expect(outcome.error).toContain('redirect to http://169.254.169.254/latest/meta-data/ not followed');
    expect(seen).toHaveLength(1);
  });

  it('gives up after the timeout on a receiver that never answers', async () => {
    answer = () => undefined;
    const started = Date.now();
    const outcome = await postWebhook(target(), '{}', {}, 300);
    expect(outcome).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection', async () => {
    const closed = { url: new URL('http://hooks.example.invalid:1/'), address: '127.0.0.1', family: 4 as const };
    const outcome = await postWebhook(closed, '{}', {}, 2_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});
