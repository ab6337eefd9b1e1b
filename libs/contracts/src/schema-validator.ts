import Ajv2020, { type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from './schemas/json-schema';

export type ValidationOutcome = { ok: true } | { ok: false; errors: string[] };

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

// One instance, built on first use: importing the package (e.g. only for Topics) costs nothing.
function instance(): Ajv2020 {
  if (!ajv) {
    // strict: a typo in one of our schemas fails the first validation instead of silently allowing data.
    ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
    addFormats(ajv, ['date-time', 'uuid']);
  }
  return ajv;
}

/** Validates against a schema with an `$id`, compiling it once per process. */
export function validateWithSchema(schema: JsonSchema, value: unknown): ValidationOutcome {
  const id = schema['$id'];
  if (typeof id !== 'string') throw new Error('contract schemas must have an $id');
  let validate = compiled.get(id);
  if (!validate) {
    validate = instance().compile(schema as SchemaObject);
    compiled.set(id, validate);
  }
  if (validate(value)) return { ok: true };
  return { ok: false, errors: (validate.errors ?? []).map(formatError) };
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where} must not have property "${String(error.params['additionalProperty'])}"`;
    case 'false schema':
      return `${where} must not be present`;
    case 'not': {
      const schema: unknown = error.schema;
      const values = typeof schema === 'object' && schema !== null && 'enum' in schema ? schema.enum : undefined;
      return Array.isArray(values) ? `${where} must not be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` : `${where} ${error.message}`;
    }
    case 'const':
      return `${where} must be ${JSON.stringify(error.params['allowedValue'])}`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}
