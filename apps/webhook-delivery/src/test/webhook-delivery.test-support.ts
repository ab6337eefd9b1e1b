import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { uniqueId, type ScimClient } from '@scimbridge/testing';

/*
 * What a downstream app's webhook endpoint sees: a real HTTP server on 127.0.0.1 that records every
 * request (raw body and headers) and answers as the test tells it to (200, an error status, or not at
 * all: the port closed, so connections are refused).
 */

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

export type ReceiverMode =
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  /** Reads the request and never answers. */
  | { readonly kind: 'hang' }
  | { readonly kind: 'closed' };

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private mode: ReceiverMode = { kind: 'status', status: 204 };
  private port = 0;

  async start(): Promise<void> {
    await this.listen(0);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/scim`;
  }

  async setMode(mode: ReceiverMode): Promise<void> {
    this.mode = mode;
    if (mode.kind === 'closed' && this.server) {
      const server = this.server;
      this.server = undefined;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    } else if (mode.kind !== 'closed' && !this.server) {
      await this.listen(this.port);
    }
  }

  async stop(): Promise<void> {
    await this.setMode({ kind: 'closed' });
  }

  /** Requests whose envelope is of this directory, in arrival order. */
  forDirectory(directoryId: string): ReceivedRequest[] {
    return this.requests.filter((r) => (JSON.parse(r.body) as { directoryid: string }).directoryid === directoryId);
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${this.requests.length} requests so far)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        this.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
        const mode = this.mode;
        if (mode.kind === 'status') {
          response.writeHead(mode.status, { 'content-type': 'text/plain' });
          response.end(mode.body ?? (mode.status < 300 ? '' : `receiver says ${mode.status}`));
        } else if (mode.kind === 'closed') {
          response.destroy();
        }
        // 'hang': no answer; the connection stays open until the client gives up or the server closes.
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }
}

/** Verifies a request with the standard-webhooks library (throws if the signature is wrong). */
export function verifySignature(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

async function expectStatus(what: string, answer: Promise<{ status: number; text: string; body: Record<string, unknown> }>, ...ok: number[]): Promise<Record<string, unknown>> {
  const result = await answer;
  if (!ok.includes(result.status)) throw new Error(`${what}: ${result.status} ${result.text}`);
  return result.body;
}

/** A user as OneLogin provisions it: look up by userName, then POST with its template's quirks. */
export async function oneLoginProvision(scim: ScimClient, userName: string): Promise<string> {
  await expectStatus('lookup', scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`), 200);
  const created = await expectStatus(
    'POST /Users',
    scim('POST', '/Users', {
      schemas: [USER_URN],
      userName,
      name: { givenName: 'Jane', familyName: uniqueId('Doe').slice(0, 12) },
      emails: { value: userName, type: 'work', primary: true },
      active: 'true',
    }),
    201,
  );
  return String(created['id']);
}

/** OneLogin's profile change or Suspend: read, then a full PUT. */
export async function oneLoginPut(scim: ScimClient, userId: string, changes: Record<string, unknown>): Promise<void> {
  const read = await expectStatus('GET user', scim('GET', `/Users/${userId}`), 200);
  const { meta: _meta, groups: _groups, ...user } = read;
  await expectStatus('PUT user', scim('PUT', `/Users/${userId}`, { ...user, ...changes }), 200);
}

export async function oneLoginGroup(scim: ScimClient, displayName: string): Promise<string> {
  const created = await expectStatus('POST /Groups', scim('POST', '/Groups', { schemas: [GROUP_URN], displayName }), 201);
  return String(created['id']);
}

export async function oneLoginMembers(scim: ScimClient, groupId: string, op: 'add' | 'remove', userIds: readonly string[]): Promise<void> {
  const operations =
    op === 'add' ? [{ op: 'add', path: 'members', value: userIds.map((value) => ({ value })) }] : userIds.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` }));
  await expectStatus('PATCH group', scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: operations }), 200, 204);
}

export async function oneLoginDelete(scim: ScimClient, userId: string): Promise<void> {
  await expectStatus('DELETE user', scim('DELETE', `/Users/${userId}`), 204);
}

/** A OneLogin-shaped session: provisioning, a group with members, a profile change, a suspend, a deletion. */
export async function oneLoginSession(scim: ScimClient, label: string): Promise<void> {
  const users: string[] = [];
  for (let i = 0; i < 3; i += 1) users.push(await oneLoginProvision(scim, `${label}-${i}-${uniqueId('u').slice(-8)}@example.com`));
  const group = await oneLoginGroup(scim, `Engineering ${label}`);
  await oneLoginMembers(scim, group, 'add', users);
  await oneLoginPut(scim, users[0] as string, { title: 'Staff Engineer' });
  await oneLoginPut(scim, users[1] as string, { active: 'false' });
  await oneLoginMembers(scim, group, 'remove', [users[2] as string]);
  await oneLoginDelete(scim, users[2] as string);
}
