import { JSON_SCHEMA_DIALECT, schemaIdFor, type JsonSchema } from './json-schema';

/*
 * Building blocks for the event schemas. Each schema is still a self-contained document (no $ref across
 * documents) so a consumer in another language can take any one of them alone.
 */

export const nonEmptyString = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });

export const nullableString = (description: string): JsonSchema => ({ type: ['string', 'null'], description });

export const dateTime = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });

export const nullableDateTime = (description: string): JsonSchema => ({ type: ['string', 'null'], format: 'date-time', description });

export const idList = (description: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  uniqueItems: true,
  description,
});

/** Names that must never appear in changedAttributes: they are other events' business, or not data. */
export const changedAttributes = (description: string, excluded: readonly string[]): JsonSchema => ({
  type: 'array',
  items: { type: 'string', minLength: 1, not: { enum: [...excluded] } },
  minItems: 1,
  uniqueItems: true,
  description,
});

/**
 * The canonical SCIM resource is the IdP's data, so it stays open; only what must never be in it is
 * closed off (`false` schemas), because events are kept forever and sent to every app.
 */
export const scimResource = (description: string, forbidden: readonly string[]): JsonSchema => ({
  type: 'object',
  description,
  required: ['schemas', 'id'],
  properties: {
    schemas: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    id: { type: 'string', minLength: 1 },
    ...Object.fromEntries(forbidden.map((name) => [name, false])),
  },
  additionalProperties: true,
});

export interface EventDataSchemaInput {
  readonly type: string;
  readonly version: number;
  /** When the event is emitted; also the text of docs/events.md. */
  readonly description: string;
  readonly properties: Readonly<Record<string, JsonSchema>>;
  /** Defaults to every property. */
  readonly required?: readonly string[];
  readonly extra?: JsonSchema;
}

export function eventDataSchema(input: EventDataSchemaInput): JsonSchema {
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: schemaIdFor(input.type, input.version),
    title: `${input.type} v${input.version}`,
    description: input.description,
    type: 'object',
    required: [...(input.required ?? Object.keys(input.properties))],
    properties: input.properties,
    additionalProperties: false,
    ...input.extra,
  };
}
