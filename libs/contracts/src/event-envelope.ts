import { ContractViolationError } from './contract-violation.error';
import { EVENT_CATALOG, isEventType, type ContractEvent, type EventType } from './event-catalog';
import type { EventMetadata } from './event-metadata';
import { validateEventData, validateEventMetadata } from './event-validation';
import { ENVELOPE_SCHEMA } from './schemas/event-envelope.schema';
import { parseSchemaId, schemaIdFor } from './schemas/json-schema';
import { validateWithSchema } from './schema-validator';
import { aggregateIdOf, parseStreamId, STREAM_PREFIXES } from './stream-ids';
import { upcast } from './upcasters';

/** The Kafka message value: a structured-mode CloudEvents 1.0 JSON document. Public API: never rename. */
export interface EventEnvelope {
  readonly specversion: '1.0';
  /** The stored event's id: the same on every re-delivery, so consumers dedupe on it. */
  readonly id: string;
  readonly type: EventType;
  /** `/scimbridge/<service-name>`. */
  readonly source: string;
  /** The event-store stream id, e.g. `directory_user:<directoryId>:<userId>`. */
  readonly subject: string;
  /** When it happened (the metadata's occurredAt). */
  readonly time: string;
  readonly directoryid: string;
  readonly organizationid: string;
  /** The event's version within `subject`, as a decimal string. */
  readonly sequence: string;
  readonly datacontenttype: 'application/json';
  /** The schema id of `data`'s version, e.g. `urn:scimbridge:events:UserProvisioned:v1`. */
  readonly dataschema: string;
  readonly data: unknown;
}

export interface BuildEnvelopeInput {
  readonly id: string;
  readonly type: EventType;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  /** `/scimbridge/<service-name>`, e.g. `/scimbridge/scim-ingress`. */
  readonly source: string;
  readonly streamId: string;
  readonly streamVersion: number;
}

export type ParseEnvelopeResult =
  | { readonly ok: true; readonly envelope: EventEnvelope; readonly event: ContractEvent }
  | { readonly ok: false; readonly error: string };

/** The `source` of a service's events. */
export function sourceFor(serviceName: string): string {
  return `/scimbridge/${serviceName}`;
}

/**
 * Builds the message for a stored event and validates it on publish: data against its version's schema,
 * metadata, envelope, and that the stream is the right one for the event. Throws ContractViolationError,
 * because a producer that gets this wrong has a bug that must not reach consumers.
 */
export function buildEnvelope(input: BuildEnvelopeInput): EventEnvelope {
  const violation = (message: string, errors: readonly string[]): ContractViolationError =>
    new ContractViolationError(`${String(input.type)} ${input.id}: ${message}`, errors, input.type);
  if (!isEventType(input.type)) throw violation('unknown event type', [`${JSON.stringify(input.type)} is not in the event catalog`]);

  const dataCheck = validateEventData(input.type, input.schemaVersion, input.data);
  if (!dataCheck.ok) throw violation(`data does not match ${schemaIdFor(input.type, input.schemaVersion)}`, dataCheck.errors);
  const metadataCheck = validateEventMetadata(input.metadata);
  if (!metadataCheck.ok) throw violation('invalid metadata', metadataCheck.errors.map((e) => `metadata${e.startsWith('(root)') ? e.slice('(root)'.length) : e}`));
  if (!Number.isInteger(input.streamVersion) || input.streamVersion < 1) {
    throw violation('invalid stream version', [`streamVersion must be an integer ≥ 1, got ${String(input.streamVersion)}`]);
  }

  const envelope: EventEnvelope = {
    specversion: '1.0',
    id: input.id,
    type: input.type,
    source: input.source,
    subject: input.streamId,
    time: input.metadata.occurredAt,
    directoryid: input.metadata.directoryId,
    organizationid: input.metadata.organizationId,
    sequence: String(input.streamVersion),
    datacontenttype: 'application/json',
    dataschema: schemaIdFor(input.type, input.schemaVersion),
    data: input.data,
  };
  const envelopeCheck = validateWithSchema(ENVELOPE_SCHEMA, envelope);
  if (!envelopeCheck.ok) throw violation('invalid envelope', envelopeCheck.errors);
  const latest = upcast(input.type, input.schemaVersion, input.data);
  const subjectErrors = subjectProblems(input.type, envelope.subject, envelope.directoryid, latest.data);
  if (subjectErrors.length > 0) throw violation('event stored in the wrong stream', subjectErrors);
  return envelope;
}

/**
 * Decodes and validates a consumed message, then upcasts its data to the latest version, so handlers
 * only ever see current shapes. Never throws: anything wrong is `ok: false` with a reason fit for a
 * dead-letter record.
 */
export function parseEnvelope(raw: Uint8Array | string | null | undefined): ParseEnvelopeResult {
  try {
    return parse(raw);
  } catch (error: unknown) {
    // Only a buggy upcaster can get here; still a bad message for this consumer, not a crash.
    return { ok: false, error: `cannot read event: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function parse(raw: Uint8Array | string | null | undefined): ParseEnvelopeResult {
  if (raw === null || raw === undefined) return { ok: false, error: 'empty message (no value)' };
  const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: false }).decode(raw);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const envelopeCheck = validateWithSchema(ENVELOPE_SCHEMA, json);
  if (!envelopeCheck.ok) return { ok: false, error: `${describe(json)}not a valid event envelope: ${envelopeCheck.errors.join('; ')}` };
  // The schema has just checked every field this type promises.
  const envelope = json as EventEnvelope;
  const label = describe(json);
  if (!isEventType(envelope.type)) return { ok: false, error: `${label}unknown event type ${JSON.stringify(envelope.type)}` };

  const schemaRef = parseSchemaId(envelope.dataschema);
  if (!schemaRef || schemaRef.type !== envelope.type) {
    return { ok: false, error: `${label}dataschema ${envelope.dataschema} is not a schema of ${envelope.type}` };
  }
  const latestVersion = EVENT_CATALOG[envelope.type].latestVersion;
  if (schemaRef.version > latestVersion) {
    return {
      ok: false,
      error: `${label}${envelope.dataschema} is newer than this consumer knows (latest v${latestVersion}): upgrade @scimbridge/contracts`,
    };
  }
  const dataCheck = validateEventData(envelope.type, schemaRef.version, envelope.data);
  if (!dataCheck.ok) return { ok: false, error: `${label}data does not match ${envelope.dataschema}: ${dataCheck.errors.join('; ')}` };

  const latest = upcast(envelope.type, schemaRef.version, envelope.data);
  if (latest.version !== schemaRef.version) {
    const latestCheck = validateEventData(envelope.type, latest.version, latest.data);
    if (!latestCheck.ok) {
      return { ok: false, error: `${label}upcast to v${latest.version} produced invalid data: ${latestCheck.errors.join('; ')}` };
    }
  }
  const subjectErrors = subjectProblems(envelope.type, envelope.subject, envelope.directoryid, latest.data);
  if (subjectErrors.length > 0) return { ok: false, error: `${label}${subjectErrors.join('; ')}` };

  // Validated against the latest schema of `type`, which is exactly what this union member describes.
  const event = { type: envelope.type, schemaVersion: latest.version, data: latest.data } as ContractEvent;
  return { ok: true, envelope, event };
}

function describe(json: unknown): string {
  if (typeof json !== 'object' || json === null) return '';
  const id = 'id' in json && typeof json.id === 'string' ? json.id : undefined;
  const type = 'type' in json && typeof json.type === 'string' ? json.type : undefined;
  return id === undefined && type === undefined ? '' : `event ${id ?? '?'} (${type ?? '?'}): `;
}

/** The stream must be the event type's kind, of the same directory, and about the entity in the data. */
function subjectProblems(type: EventType, subject: string, directoryId: string, data: unknown): string[] {
  const expectedKind = EVENT_CATALOG[type].stream;
  const stream = parseStreamId(subject);
  if (!stream) return [`subject ${JSON.stringify(subject)} is not a stream id`];
  if (stream.kind !== expectedKind) {
    return [`subject ${JSON.stringify(subject)} is not a ${STREAM_PREFIXES[expectedKind]} stream, which ${type} belongs to`];
  }
  const problems: string[] = [];
  if (stream.directoryId !== directoryId) problems.push(`subject's directory ${stream.directoryId} differs from directoryid ${directoryId}`);
  const idField = aggregateIdField[expectedKind];
  const dataId = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[idField] : undefined;
  if (dataId !== aggregateIdOf(stream)) problems.push(`data.${idField} ${JSON.stringify(dataId)} differs from the subject's ${aggregateIdOf(stream)}`);
  return problems;
}

const aggregateIdField = {
  user: 'userId',
  group: 'groupId',
  directory: 'directoryId',
  roleMapping: 'directoryId',
  roleGrant: 'userId',
  resync: 'resyncId',
} as const;
