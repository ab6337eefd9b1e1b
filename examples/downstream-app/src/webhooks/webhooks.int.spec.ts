import type { INestApplication } from '@nestjs/common';
import { EXAMPLES, buildEnvelope, exampleInput, streamIds } from '@scimbridge/contracts';
import { requiredEnv } from '@scimbridge/testing';
import { createHmac, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createApp } from '../app.module';
import { loadConfig } from '../config/app.config';
import { newWebhookSecret, signedRequest, TestDirectoryEvents, type SignedRequest } from '../test/events.test-support';
import type { UserView } from '../users/users.controller';

/*
 * Webhook mode on a real PostgreSQL: requests signed with the standard-webhooks reference library (and
 * once by hand, from the spec's definition), refused when anything about the signature is off, and the
 * same dedupe and create-or-update rules as Kafka mode.
 */

const secret = newWebhookSecret();
const schema = `downstream_webhook_${randomUUID().slice(0, 8)}`;
let app: INestApplication;
let url: string;

beforeAll(async () => {
  const config = loadConfig({ SYNC_MODE: 'webhook', WEBHOOK_SECRET: secret, DATABASE_URL: requiredEnv('DATABASE_URL'), DATABASE_SCHEMA: schema, PORT: '0', LOG_LEVEL: 'error' });
  app = await createApp(config);
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function post(request: SignedRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/webhooks/scimbridge`, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Signs and posts an envelope; expects it accepted. */
async function deliver(envelope: object): Promise<Record<string, unknown>> {
  const answer = await post(signedRequest(secret, JSON.stringify(envelope)));
  expect(answer.status).toBe(200);
  return answer.body;
}

async function users(directoryId: string): Promise<UserView[]> {
  const response = await fetch(`${url}/users?directoryId=${directoryId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { users: UserView[] }).users;
}

describe('webhook signatures', () => {
  it('accepts a request signed with the configured secret and applies it', async () => {
    const d = new TestDirectoryEvents();
    const userId = randomUUID();
    expect(await deliver(d.userProvisioned(userId, 'ada@example.com'))).toMatchObject({ result: 'applied', type: 'UserProvisioned' });
    expect(await users(d.directoryId)).toEqual([
      expect.objectContaining({ userId, userName: 'ada@example.com', email: 'ada@example.com', displayName: 'Jane Doe', active: true, deprovisioned: false, roles: [] }),
    ]);
  });

  it('accepts a signature computed by hand from the spec: v1,base64(HMAC-SHA256(key, "id.timestamp.body"))', async () => {
    const d = new TestDirectoryEvents();
    const body = JSON.stringify(d.userProvisioned(randomUUID(), 'hand@example.com'));
    const id = `msg_${randomUUID()}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    const answer = await post({ body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` } });
    expect(answer).toMatchObject({ status: 200, body: { result: 'applied' } });
    expect((await users(d.directoryId)).map((u) => u.userName)).toEqual(['hand@example.com']);
  });

  it('refuses a tampered body, a wrong secret, an old or future timestamp and missing headers with 401, applying nothing', async () => {
    const d = new TestDirectoryEvents();
    const body = JSON.stringify(d.userProvisioned(randomUUID(), 'mallory@example.com'));

    const good = signedRequest(secret, body);
    const tampered = { ...good, body: body.replace('mallory@example.com', 'mallorx@example.com') };
    const wrongSecret = signedRequest(newWebhookSecret(), body);
    const old = signedRequest(secret, body, { at: new Date(Date.now() - 10 * 60_000) });
    const future = signedRequest(secret, body, { at: new Date(Date.now() + 10 * 60_000) });
    const otherId = { ...good, headers: { ...good.headers, 'webhook-id': 'msg_other' } };
    const noSignature = { ...good, headers: { ...good.headers, 'webhook-signature': '' } };
    const { 'webhook-timestamp': _dropped, ...withoutTimestamp } = good.headers;

    for (const [name, request] of Object.entries({ tampered, wrongSecret, old, future, otherId, noSignature, noTimestamp: { body, headers: withoutTimestamp } })) {
      const answer = await post(request);
      expect({ name, status: answer.status }).toEqual({ name, status: 401 });
    }
    expect(await users(d.directoryId)).toEqual([]);
    // The same request, untouched, is accepted: the refusals were about the signature, not the event.
    expect((await post(good)).status).toBe(200);
    expect(await users(d.directoryId)).toHaveLength(1);
  });
});

describe('delivery semantics', () => {
  it('applies a redelivered webhook (same webhook-id, same event) once', async () => {
    const d = new TestDirectoryEvents();
    const userId = randomUUID();
    await deliver(d.userProvisioned(userId, 'grace@example.com'));
    const assigned = JSON.stringify(d.role('RoleAssigned', userId, 'admin'));
    const first = signedRequest(secret, assigned, { id: 'msg_assign_admin' });
    expect((await post(first)).body).toMatchObject({ result: 'applied' });
    await deliver(d.role('RoleRevoked', userId, 'admin'));
    // The sender retries the RoleAssigned (e.g. it never saw our 200): same id, fresh timestamp.
    const retry = await post(signedRequest(secret, assigned, { id: 'msg_assign_admin' }));
    expect(retry).toMatchObject({ status: 200, body: { result: 'duplicate' } });
    // Applied twice, the retry would have given admin back.
    expect((await users(d.directoryId))[0]?.roles).toEqual([]);
  });

  it('creates the user from a role event that overtook its UserProvisioned, then fills it in', async () => {
    const d = new TestDirectoryEvents();
    const userId = randomUUID();
    await deliver(d.role('RoleAssigned', userId, 'editor'));
    expect(await users(d.directoryId)).toEqual([expect.objectContaining({ userId, userName: null, roles: ['editor'] })]);
    await deliver(d.userProvisioned(userId, 'late@example.com'));
    await deliver(d.role('RoleAssigned', userId, 'admin'));
    expect(await users(d.directoryId)).toEqual([expect.objectContaining({ userId, userName: 'late@example.com', active: true, roles: ['admin', 'editor'] })]);
  });

  it('tracks deactivation, groups and deletion', async () => {
    const d = new TestDirectoryEvents();
    const [a, b, g] = [randomUUID(), randomUUID(), randomUUID()];
    await deliver(d.userProvisioned(a, 'a@example.com'));
    await deliver(d.userProvisioned(b, 'b@example.com', { displayName: 'Bee' }));
    await deliver(d.groupCreated(g, 'Sales', [a]));
    await deliver(d.membership(g, [b], [a]));
    await deliver(d.userEvent('UserDeactivated', a, 'a@example.com'));
    await deliver(d.userEvent('UserDeprovisioned', b, 'b@example.com'));
    const rows = await users(d.directoryId);
    const byName = Object.fromEntries(rows.map((u) => [u.userName, u]));
    expect(byName['a@example.com']).toMatchObject({ active: false, deprovisioned: false, groupIds: [] });
    expect(byName['b@example.com']).toMatchObject({ displayName: 'Bee', active: false, deprovisioned: true, groupIds: [g] });
  });

  it('answers 200 "rejected" to a signed message it cannot read, and keeps it aside', async () => {
    const answer = await post(signedRequest(secret, JSON.stringify({ specversion: '1.0', type: 'SomethingNew' })));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ result: 'rejected' });
    const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await db.connect();
    try {
      const { rows } = await db.query<{ reason: string }>(`SELECT reason FROM ${schema}.rejected_messages WHERE origin LIKE 'webhook:%' ORDER BY id DESC LIMIT 1`);
      expect(rows[0]?.reason).toMatch(/not a valid event envelope/);
    } finally {
      await db.end();
    }
  });
});

describe('full-state resync and directory deletion', () => {
  it('marks users the resync did not report (and that did not change meanwhile) as deprovisioned', async () => {
    const d = new TestDirectoryEvents();
    const [kept, missedDeletion, changedDuring, g] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await deliver(d.userProvisioned(kept, 'kept@example.com'));
    await deliver(d.userProvisioned(missedDeletion, 'ghost@example.com'));
    await deliver(d.userProvisioned(changedDuring, 'busy@example.com'));
    await deliver(d.groupCreated(g, 'Stale group', [missedDeletion]));
    // Not delivered: the directory deleted `missedDeletion` and `g` while this app was not listening.

    const resyncId = randomUUID();
    const resync = streamIds.resync(d.directoryId, resyncId);
    const { directoryId } = d;
    await deliver(d.envelope(resync, { type: 'DirectoryResyncStarted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 2, groupCount: 0 } }));
    const keptSequence = d.sequenceOf(streamIds.user(directoryId, kept));
    await deliver(d.envelope(resync, { type: 'UserResynced', schemaVersion: 1, data: { ...d.user(kept, 'kept@example.com', { displayName: 'Kept' }), resyncId, userSequence: keptSequence } }));
    // A change during the resync counts as seen.
    await deliver(d.userEvent('UserDeactivated', changedDuring, 'busy@example.com'));
    await deliver(d.envelope(resync, { type: 'DirectoryResyncCompleted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 1, groupCount: 0 } }));

    const byName = Object.fromEntries((await users(directoryId)).map((u) => [u.userName, u]));
    expect(byName['kept@example.com']).toMatchObject({ displayName: 'Kept', deprovisioned: false, active: true });
    expect(byName['busy@example.com']).toMatchObject({ deprovisioned: false, active: false });
    expect(byName['ghost@example.com']).toMatchObject({ deprovisioned: true, active: false, groupIds: [] });
    const groups = (await (await fetch(`${url}/groups?directoryId=${directoryId}`)).json()) as { groups: unknown[] };
    expect(groups.groups).toEqual([]);
  });

  it('keeps a newer row than the resync state (userSequence below what was applied)', async () => {
    const d = new TestDirectoryEvents();
    const userId = randomUUID();
    await deliver(d.userProvisioned(userId, 'old@example.com'));
    const staleSequence = d.sequenceOf(streamIds.user(d.directoryId, userId));
    await deliver(d.envelope(streamIds.user(d.directoryId, userId), { type: 'UserUpdated', schemaVersion: 1, data: { ...d.user(userId, 'new@example.com'), changedAttributes: ['userName'] } }));
    const resyncId = randomUUID();
    const resync = streamIds.resync(d.directoryId, resyncId);
    const { directoryId } = d;
    await deliver(d.envelope(resync, { type: 'DirectoryResyncStarted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 1, groupCount: 0 } }));
    await deliver(d.envelope(resync, { type: 'UserResynced', schemaVersion: 1, data: { ...d.user(userId, 'old@example.com'), resyncId, userSequence: staleSequence } }));
    await deliver(d.envelope(resync, { type: 'DirectoryResyncCompleted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 1, groupCount: 0 } }));
    expect(await users(directoryId)).toEqual([expect.objectContaining({ userName: 'new@example.com', deprovisioned: false })]);
  });

  it('sets a resynced group’s members exactly (a membership change the app missed is repaired)', async () => {
    const d = new TestDirectoryEvents();
    const [a, b, g] = [randomUUID(), randomUUID(), randomUUID()];
    const { directoryId } = d;
    await deliver(d.userProvisioned(a, 'a@example.com'));
    await deliver(d.userProvisioned(b, 'b@example.com'));
    await deliver(d.groupCreated(g, 'Ops', [a]));
    d.membership(g, [b], [a]); // happened, but never reached the app
    const resyncId = randomUUID();
    const resync = streamIds.resync(directoryId, resyncId);
    await deliver(d.envelope(resync, { type: 'DirectoryResyncStarted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 2, groupCount: 1 } }));
    for (const [id, name] of [[a, 'a@example.com'], [b, 'b@example.com']] as const) {
      const userSequence = d.sequenceOf(streamIds.user(directoryId, id));
      await deliver(d.envelope(resync, { type: 'UserResynced', schemaVersion: 1, data: { ...d.user(id, name), resyncId, userSequence } }));
    }
    await deliver(
      d.envelope(resync, {
        type: 'GroupResynced',
        schemaVersion: 1,
        data: { groupId: g, externalId: null, displayName: 'Ops team', resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: g, displayName: 'Ops team' }, resyncId, memberIds: [b], groupSequence: d.sequenceOf(streamIds.group(directoryId, g)) },
      }),
    );
    await deliver(d.envelope(resync, { type: 'DirectoryResyncCompleted', schemaVersion: 1, data: { directoryId, resyncId, userCount: 2, groupCount: 1 } }));
    const byName = Object.fromEntries((await users(directoryId)).map((u) => [u.userName, u]));
    expect(byName['a@example.com']).toMatchObject({ groupIds: [], deprovisioned: false });
    expect(byName['b@example.com']).toMatchObject({ groupIds: [g], deprovisioned: false });
    const groups = (await (await fetch(`${url}/groups?directoryId=${directoryId}`)).json()) as { groups: unknown[] };
    expect(groups.groups).toEqual([{ groupId: g, displayName: 'Ops team' }]);
    // The next live event of the group (sequence 3) follows the resynced state (it was at 2): applied, not a gap.
    expect(await deliver(d.membership(g, [a], []))).toMatchObject({ result: 'applied' });
  });

  it('drops a deleted directory’s rows, and a late role event does not bring them back', async () => {
    const d = new TestDirectoryEvents();
    const userId = randomUUID();
    const { directoryId, organizationId } = d;
    await deliver(d.userProvisioned(userId, 'bye@example.com'));
    await deliver(d.userEvent('UserDeprovisioned', userId, 'bye@example.com'));
    await deliver(d.envelope(streamIds.directory(directoryId), { type: 'DirectoryDeleted', schemaVersion: 1, data: { directoryId, organizationId, deprovisionedUsers: 1, deletedGroups: 0 } }));
    await deliver(d.role('RoleRevoked', userId, 'viewer'));
    expect(await users(directoryId)).toEqual([]);
  });

  it('takes every documented example event (docs/events.md) in order', async () => {
    for (const example of Object.values(EXAMPLES)) {
      const body = await deliver(buildEnvelope(exampleInput(example)));
      expect({ type: example.event.type, result: body['result'] }).toEqual({
        type: example.event.type,
        result: ['DirectoryTokenIssued', 'DirectoryTokenRevoked', 'RoleMappingsChanged'].includes(example.event.type) ? 'ignored' : 'applied',
      });
    }
  });
});

describe('boundaries', () => {
  it('validates GET /users input', async () => {
    expect((await fetch(`${url}/users`)).status).toBe(400);
    expect((await fetch(`${url}/users?directoryId=x&extra=1`)).status).toBe(400);
  });
});
