import { randomUUID } from 'node:crypto';
import { envelopeDecoder } from './envelope.decoder';

const dir = randomUUID();
const org = randomUUID();

/** An envelope as some producer might write it: odd spacing, so "as received" is observable. */
const raw = (type: string, overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    type,
    source: '/scimbridge/scim-ingress',
    subject: `directory_user:${dir}:u1`,
    time: '2026-12-04T12:00:00.000Z',
    directoryid: dir,
    organizationid: org,
    sequence: '3',
    datacontenttype: 'application/json',
    dataschema: `urn:scimbridge:events:${type}:v1`,
    data: { userId: 'u1' },
    ...overrides,
  }).replace('{"specversion"', '{ "specversion"');

describe('envelopeDecoder', () => {
  it('accepts an event type this build has never heard of, keeping the message exactly as received', () => {
    const message = raw('UserResynced');
    const decoded = envelopeDecoder(Buffer.from(message, 'utf8'));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.event).toMatchObject({ type: 'UserResynced', subject: `directory_user:${dir}:u1`, sequence: 3, directoryId: dir, organizationId: org, data: message });
  });

  it('accepts current types without checking their data schema (webhooks forward, they do not interpret)', () => {
    expect(envelopeDecoder(Buffer.from(raw('RoleAssigned', { data: { anything: true } }))).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"specversion":'],
    ['a bad type', raw('not-pascal')],
    ['no directory', raw('UserProvisioned', { directoryid: undefined })],
    ['a bad sequence', raw('UserProvisioned', { sequence: '0' })],
    ['a bad id', raw('UserProvisioned', { id: 'x' })],
    ['data that is not an object', raw('UserProvisioned', { data: 'x' })],
  ])('refuses %s (the runner dead-letters it)', (_, message) => {
    expect(envelopeDecoder(Buffer.from(message)).ok).toBe(false);
  });
});
