import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from '../network/address-policy';

/*
 * One HTTP POST to a checked address. node:http rather than fetch: fetch (undici) resolves the host
 * itself, so the address we checked could differ from the one it connects to (DNS rebinding); here the
 * socket's lookup returns the checked address, while the Host header and TLS SNI/certificate check still
 * use the URL's host name. Redirects are never followed (node:http does not), and a 3xx is a failure.
 */

export interface AttemptOutcome {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  /** The first bytes of the response body (for the delivery log). */
  readonly snippet: string | null;
  readonly durationMs: number;
}

const SNIPPET_BYTES = 1024;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

export function postWebhook(target: ResolvedTarget, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptOutcome> {
  const started = Date.now();
  const secure = target.url.protocol === 'https:';
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: Date.now() - started });
    };
    const request = (secure ? https : http).request(
      target.url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: pinnedLookup(target),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): void => {
          const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
          const ok = status >= 200 && status < 300;
          const error = ok ? null : status >= 300 && status < 400 ? `redirect to ${String(response.headers.location ?? '?').slice(0, 200)} not followed` : `HTTP ${status}`;
          finish({ ok, statusCode: status, error, snippet: snippet === '' ? null : snippet });
        };
        response.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk);
          size += chunk.length;
          // Enough for the log; the rest of a large answer is not worth reading (the socket is dropped).
          if (size >= SNIPPET_BYTES) {
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, statusCode: null, error: error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message, snippet: null });
    });
    request.end(body);
  });
}
