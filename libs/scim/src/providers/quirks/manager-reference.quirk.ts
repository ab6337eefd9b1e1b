import { ENTERPRISE_USER_SCHEMA } from '../../schema/enterprise-user.schema';
import { findKeyInsensitive, isPlainObject } from '../../util/json.util';
import type { Quirk } from '../provider.types';

/**
 * Non-RFC shapes of the Enterprise `manager` (RFC 7643 §4.3 wants `{ "value": "<id>" }`), rewritten
 * wherever a manager can appear: in a resource body's extension object, under a URN-qualified key, as a
 * PATCH value for a `...:manager` path, and inside a path-less PATCH value.
 */
type ManagerShape = 'bareString' | 'singleElementArray' | 'managerId';

function rewriteManager(value: unknown, shapes: ReadonlySet<ManagerShape>): unknown {
  if (shapes.has('bareString') && typeof value === 'string' && value !== '') return { value };
  if (shapes.has('singleElementArray') && Array.isArray(value) && value.length === 1 && isPlainObject(value[0])) return rewriteManager(value[0], shapes);
  if (shapes.has('managerId') && isPlainObject(value)) {
    const key = findKeyInsensitive(value, 'managerId');
    if (key !== undefined && findKeyInsensitive(value, 'value') === undefined) {
      const { [key]: managerId, ...rest } = value;
      return { value: managerId, ...rest };
    }
  }
  return value;
}

const QUALIFIED_MANAGER = `${ENTERPRISE_USER_SCHEMA}:manager`.toLowerCase();

function isManagerPath(path: string): boolean {
  const lower = path.trim().toLowerCase();
  return lower === 'manager' || lower === QUALIFIED_MANAGER;
}

/** Rewrites `manager` keys in an object holding attributes: a resource body, an extension object, a partial. */
function rewriteAttributes(values: Record<string, unknown>, shapes: ReadonlySet<ManagerShape>, topLevel: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (isManagerPath(key) && (topLevel || key.toLowerCase() === 'manager')) result[key] = rewriteManager(value, shapes);
    else if (topLevel && key.toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase() && isPlainObject(value)) result[key] = rewriteAttributes(value, shapes, false);
    else result[key] = value;
  }
  return result;
}

export function managerReferenceQuirk(name: string, description: string, shapes: readonly ManagerShape[]): Quirk {
  const set = new Set(shapes);
  return {
    name,
    description,
    resource: (resourceType, body) => (resourceType.toLowerCase() === 'user' && isPlainObject(body) ? rewriteAttributes(body, set, true) : body),
    patch: (resourceType, body) => {
      if (resourceType.toLowerCase() !== 'user' || !isPlainObject(body)) return body;
      const opsKey = findKeyInsensitive(body, 'Operations');
      const operations = opsKey === undefined ? undefined : body[opsKey];
      if (opsKey === undefined || !Array.isArray(operations)) return body;
      const rewritten = operations.map((operation: unknown) => {
        if (!isPlainObject(operation)) return operation;
        const pathKey = findKeyInsensitive(operation, 'path');
        const valueKey = findKeyInsensitive(operation, 'value');
        if (valueKey === undefined) return operation;
        const path = pathKey === undefined ? undefined : operation[pathKey];
        const value = operation[valueKey];
        if (typeof path === 'string' && path.trim() !== '') {
          if (isManagerPath(path)) return { ...operation, [valueKey]: rewriteManager(value, set) };
          if (path.trim().toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase() && isPlainObject(value)) {
            return { ...operation, [valueKey]: rewriteAttributes(value, set, false) };
          }
          return operation;
        }
        return isPlainObject(value) ? { ...operation, [valueKey]: rewriteAttributes(value, set, true) } : operation;
      });
      return { ...body, [opsKey]: rewritten };
    },
  };
}
