import { JSON_SCHEMA_DIALECT, type JsonSchema } from './json-schema';

export const ENVELOPE_SCHEMA_ID = 'urn:scimbridge:envelope:v1';
export const EVENT_METADATA_SCHEMA_ID = 'urn:scimbridge:event-metadata:v1';

/**
 * The Kafka message. Unknown lower-case attributes are allowed (CloudEvents extension attributes), so
 * adding one later does not break consumers already running; everything we define is strict.
 */
export const ENVELOPE_SCHEMA: JsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: ENVELOPE_SCHEMA_ID,
  title: 'scimbridge event envelope v1 (CloudEvents 1.0, structured JSON)',
  type: 'object',
  required: [
    'specversion',
    'id',
    'type',
    'source',
    'subject',
    'time',
    'directoryid',
    'organizationid',
    'sequence',
    'datacontenttype',
    'dataschema',
    'data',
  ],
  properties: {
    specversion: { const: '1.0', description: 'CloudEvents version: always `1.0`.' },
    id: { type: 'string', format: 'uuid', description: 'The event’s id, the same on every re-delivery: dedupe on it.' },
    type: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$', description: 'The event type, e.g. `UserProvisioned`.' },
    source: {
      type: 'string',
      pattern: '^/scimbridge/[a-z0-9][a-z0-9-]*$',
      description: 'The producing service, `/scimbridge/<service>`.',
    },
    subject: {
      type: 'string',
      minLength: 1,
      description: 'The stream the event belongs to, e.g. `directory_user:<directoryId>:<userId>`.',
    },
    time: { type: 'string', format: 'date-time', description: 'When it happened (RFC 3339).' },
    directoryid: { type: 'string', minLength: 1, description: 'The directory; also the Kafka message key.' },
    organizationid: { type: 'string', minLength: 1, description: 'The organization owning the directory.' },
    sequence: {
      type: 'string',
      pattern: '^[1-9][0-9]*$',
      description: 'The event’s 1-based position in its `subject` stream, as a decimal string.',
    },
    datacontenttype: { const: 'application/json', description: 'Always `application/json`.' },
    dataschema: {
      type: 'string',
      pattern: '^urn:scimbridge:events:[A-Z][A-Za-z0-9]*:v[1-9][0-9]*$',
      description: 'The id of the JSON Schema `data` follows, e.g. `urn:scimbridge:events:UserProvisioned:v1`.',
    },
    data: { type: 'object', description: 'The event data; its shape is given by `type` and `dataschema`.' },
  },
  patternProperties: { '^[a-z0-9]{1,20}$': true },
  additionalProperties: false,
};

/**
 * Metadata stored with every event. Open to extra keys: it is internal to the store, and only the fields
 * below reach the envelope.
 */
export const EVENT_METADATA_SCHEMA: JsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: EVENT_METADATA_SCHEMA_ID,
  title: 'scimbridge event metadata v1',
  type: 'object',
  required: ['directoryId', 'organizationId', 'occurredAt'],
  properties: {
    directoryId: { type: 'string', minLength: 1, description: 'The directory the event is about; the Kafka key.' },
    organizationId: { type: 'string', minLength: 1, description: 'The organization owning the directory.' },
    occurredAt: { type: 'string', format: 'date-time', description: 'When it happened, from the clock at the edge (never read inside a decider).' },
    correlationId: { type: 'string', minLength: 1, description: 'Shared by every event one request (or one consumed event) led to, across services.' },
    causationId: { type: 'string', minLength: 1, description: 'The id of the command or event that directly caused this one.' },
    actor: {
      type: 'object',
      description: 'Who caused it.',
      required: ['kind'],
      properties: {
        kind: { enum: ['idp', 'management-api', 'system'], description: 'The IdP over SCIM, the management API, or scimbridge itself (e.g. role-assignment reacting to an event).' },
        id: { type: 'string', minLength: 1, description: 'e.g. the directory token id the IdP used.' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: true,
};
