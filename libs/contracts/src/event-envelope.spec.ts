import { ContractViolationError } from './contract-violation.error';
import { EVENT_TYPES } from './event-catalog';
import { buildEnvelope, parseEnvelope, sourceFor, type EventEnvelope } from './event-envelope';
import { EXAMPLES, EXAMPLE_IDS, exampleInput } from './examples';
import { streamIds } from './stream-ids';

const { directoryId, userId, groupId } = EXAMPLE_IDS;
const provisioned = exampleInput(EXAMPLES.UserProvisioned);
const envelope = (): EventEnvelope => buildEnvelope(provisioned);
const withChanges = (changes: Record<string, unknown>): string => JSON.stringify({ ...envelope(), ...changes });

function errorOf(raw: string | Uint8Array | null): string {
  const result = parseEnvelope(raw);
  if (result.ok) throw new Error('expected the message to be refused');
  return result.error;
}

function violationOf(build: () => unknown): ContractViolationError {
  try {
    build();
  } catch (error: unknown) {
    if (error instanceof ContractViolationError) return error;
    throw error;
  }
  throw new Error('expected a ContractViolationError');
}

describe('buildEnvelope', () => {
  it('maps the stored event onto the CloudEvents fields', () => {
    expect(envelope()).toEqual({
      specversion: '1.0',
      id: EXAMPLES.UserProvisioned.id,
      type: 'UserProvisioned',
      source: '/scimbridge/scim-ingress',
      subject: `directory_user:${directoryId}:${userId}`,
      time: '2026-03-02T09:15:04.118Z',
      directoryid: directoryId,
      organizationid: EXAMPLE_IDS.organizationId,
      sequence: '1',
      datacontenttype: 'application/json',
      dataschema: 'urn:scimbridge:events:UserProvisioned:v1',
      data: EXAMPLES.UserProvisioned.event.data,
    });
    expect(sourceFor('scim-ingress')).toBe(provisioned.source);
  });

  it('keeps the id of the stored event, so a re-delivery carries the same id', () => {
    expect(buildEnvelope(provisioned).id).toBe(buildEnvelope(provisioned).id);
  });

  it('refuses data that does not match its schema (validated on publish)', () => {
    const error = violationOf(() => buildEnvelope({ ...provisioned, data: { ...(provisioned.data as object), password: 'hunter2' } }));
    expect(error.code).toBe('CONTRACT_VIOLATION');
    expect(error.eventType).toBe('UserProvisioned');
    expect(error.errors).toEqual(['(root) must not have property "password"']);
    expect(error.message).toContain('data does not match urn:scimbridge:events:UserProvisioned:v1');
  });

  it('refuses a token secret in DirectoryTokenIssued', () => {
    const issued = exampleInput(EXAMPLES.DirectoryTokenIssued);
    const error = violationOf(() => buildEnvelope({ ...issued, data: { ...(issued.data as object), token: 'scb_s3cr3t' } }));
    expect(error.errors).toEqual(['(root) must not have property "token"']);
  });

  it('refuses bad metadata, a non-UUID id, a bad source and an unknown version', () => {
    expect(violationOf(() => buildEnvelope({ ...provisioned, metadata: { ...provisioned.metadata, occurredAt: 'now' } })).errors).toEqual([
      'metadata/occurredAt must match format "date-time"',
    ]);
    expect(violationOf(() => buildEnvelope({ ...provisioned, id: 'evt-1' })).errors).toEqual(['/id must match format "uuid"']);
    expect(violationOf(() => buildEnvelope({ ...provisioned, source: 'scim-ingress' })).errors[0]).toMatch(/^\/source must match pattern/);
    expect(violationOf(() => buildEnvelope({ ...provisioned, schemaVersion: 2 })).errors).toEqual(['unknown schema version 2 of UserProvisioned (known: 1)']);
    expect(violationOf(() => buildEnvelope({ ...provisioned, streamVersion: 0 })).errors[0]).toMatch(/streamVersion must be an integer/);
  });

  it('refuses an event appended to a stream it does not belong to', () => {
    expect(violationOf(() => buildEnvelope({ ...provisioned, streamId: streamIds.group(directoryId, groupId) })).errors).toEqual([
      `subject "directory_group:${directoryId}:${groupId}" is not a directory_user stream, which UserProvisioned belongs to`,
    ]);
    expect(violationOf(() => buildEnvelope({ ...provisioned, streamId: streamIds.user(directoryId, 'someone-else') })).errors).toEqual([
      `data.userId "${userId}" differs from the subject's someone-else`,
    ]);
    expect(violationOf(() => buildEnvelope({ ...provisioned, streamId: streamIds.user('other-dir', userId) })).errors).toEqual([
      `subject's directory other-dir differs from directoryid ${directoryId}`,
    ]);
  });
});

describe('parseEnvelope', () => {
  it.each(EVENT_TYPES)('round-trips %s through buildEnvelope and JSON', (type) => {
    const example = EXAMPLES[type];
    const built = buildEnvelope(exampleInput(example));
    const result = parseEnvelope(Buffer.from(JSON.stringify(built)));
    expect(result).toEqual({ ok: true, envelope: built, event: example.event });
  });

  it('reads a string as well as a Buffer', () => {
    expect(parseEnvelope(JSON.stringify(envelope())).ok).toBe(true);
  });

  it('tolerates CloudEvents extension attributes it does not know', () => {
    expect(parseEnvelope(withChanges({ traceparent: '00-abc-def-01' })).ok).toBe(true);
  });

  it.each([
    ['an empty message', null, /^empty message/],
    ['not JSON', '{"specversion": "1.0",', /^not JSON: /],
    ['JSON that is not an object', '[1,2]', /not a valid event envelope: \(root\) must be object/],
    ['the wrong specversion', withChanges({ specversion: '0.3' }), /: \/specversion must be "1.0"/],
    ['a missing directoryid', JSON.stringify({ ...envelope(), directoryid: undefined }), /must have required property 'directoryid'/],
    ['an unknown type', withChanges({ type: 'UserCreated', dataschema: 'urn:scimbridge:events:UserCreated:v1' }), /unknown event type "UserCreated"/],
    ['a dataschema of another type', withChanges({ dataschema: 'urn:scimbridge:events:UserUpdated:v1' }), /dataschema urn:scimbridge:events:UserUpdated:v1 is not a schema of UserProvisioned/],
    ['a version newer than this library', withChanges({ dataschema: 'urn:scimbridge:events:UserProvisioned:v9' }), /newer than this consumer knows \(latest v1\): upgrade @scimbridge\/contracts/],
    ['data not matching its schema', withChanges({ data: { ...(envelope().data as object), userName: 42 } }), /data does not match urn:scimbridge:events:UserProvisioned:v1: \/userName must be string/],
    ['a sequence that is not a positive decimal', withChanges({ sequence: 1 }), /\/sequence must be string/],
    ['a subject of another directory', withChanges({ subject: streamIds.user('other-dir', userId) }), /subject's directory other-dir differs/],
    ['an unknown top-level field in capitals', withChanges({ Extra: true }), /must not have property "Extra"/],
  ])('refuses %s with a useful message', (_what, raw, expected) => {
    expect(errorOf(raw)).toMatch(expected);
  });

  it('names the event in the error when it got that far, for the dead-letter record', () => {
    expect(errorOf(withChanges({ data: {} }))).toMatch(new RegExp(`^event ${EXAMPLES.UserProvisioned.id} \\(UserProvisioned\\): data does not match`));
  });

  it('never throws, whatever it is given', () => {
    for (const raw of ['', 'null', '"x"', '{}', '{"data":{}}', new Uint8Array([0xff, 0xfe, 0x00]), 'x'.repeat(10_000)]) {
      expect(() => parseEnvelope(raw)).not.toThrow();
      expect(parseEnvelope(raw).ok).toBe(false);
    }
  });
});
