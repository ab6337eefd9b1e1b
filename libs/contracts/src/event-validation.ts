import { EVENT_CATALOG, isEventType } from './event-catalog';
import { EVENT_METADATA_SCHEMA } from './schemas/event-envelope.schema';
import { validateWithSchema, type ValidationOutcome } from './schema-validator';

export type { ValidationOutcome } from './schema-validator';

/** Checks event data against the schema of its type and version; unknown pairs are refused, not passed. */
export function validateEventData(type: string, version: number, data: unknown): ValidationOutcome {
  if (!isEventType(type)) return { ok: false, errors: [`unknown event type ${JSON.stringify(type)}`] };
  const { schemas } = EVENT_CATALOG[type];
  const schema = schemas[version];
  if (!schema) {
    const known = Object.keys(schemas).join(', ');
    return { ok: false, errors: [`unknown schema version ${String(version)} of ${type} (known: ${known})`] };
  }
  return validateWithSchema(schema, data);
}

export function validateEventMetadata(metadata: unknown): ValidationOutcome {
  return validateWithSchema(EVENT_METADATA_SCHEMA, metadata);
}
