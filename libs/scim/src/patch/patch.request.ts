import { ScimError } from '../errors/scim.error';
import { findKeyInsensitive, isPlainObject } from '../util/json.util';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOperationName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  readonly op: PatchOperationName;
  /** Absent for path-less add/replace, whose `value` is then a partial resource. */
  readonly path?: string;
  readonly value?: unknown;
}

/**
 * Reads a PatchOp body (RFC 7644 §3.5.2). Liberal where IdPs differ: op names in any case (Entra ID sends
 * `Replace`), member names in any case (`operations`), an empty `path` taken as none. A body that is
 * not a PatchOp at all is a 400 `invalidSyntax`.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('the PATCH body must be a JSON object');
  const schemasKey = findKeyInsensitive(body, 'schemas');
  if (schemasKey !== undefined) {
    const schemas = body[schemasKey];
    const listed = Array.isArray(schemas) ? schemas : [schemas];
    if (!listed.some((uri) => typeof uri === 'string' && uri.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
      throw ScimError.invalidSyntax(`a PATCH body must have the schema ${PATCH_OP_SCHEMA}`);
    }
  }
  const operationsKey = findKeyInsensitive(body, 'Operations');
  const operations = operationsKey === undefined ? undefined : body[operationsKey];
  if (!Array.isArray(operations) || operations.length === 0) throw ScimError.invalidSyntax('"Operations" must be a non-empty array');
  return operations.map((operation: unknown, index) => parseOperation(operation, index));
}

function parseOperation(operation: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isPlainObject(operation)) throw ScimError.invalidSyntax(`${where} must be an object`);
  const opKey = findKeyInsensitive(operation, 'op');
  const rawOp = opKey === undefined ? undefined : operation[opKey];
  const op = typeof rawOp === 'string' ? rawOp.trim().toLowerCase() : undefined;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw ScimError.invalidSyntax(`${where}: "op" must be add, replace or remove, got ${JSON.stringify(rawOp) ?? 'nothing'}`);
  }
  const pathKey = findKeyInsensitive(operation, 'path');
  const rawPath = pathKey === undefined ? undefined : operation[pathKey];
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') throw ScimError.invalidPath(`${where}: "path" must be a string`);
  const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  const valueKey = findKeyInsensitive(operation, 'value');
  if (op !== 'remove' && valueKey === undefined) throw ScimError.invalidValue(`${where}: "${op}" needs a "value"`);
  const value = valueKey === undefined ? undefined : operation[valueKey];
  return { op, ...(path !== undefined ? { path } : {}), ...(valueKey !== undefined ? { value } : {}) };
}
