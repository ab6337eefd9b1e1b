import { findKeyInsensitive, isPlainObject } from '../../util/json.util';
import type { Quirk } from '../provider.types';

/**
 * OneLogin's older app speaks SCIM 1.1 PATCH: a partial resource instead of a PatchOp, members marked
 * `"operation": "delete"` to remove them, and `meta.attributes` listing attributes to clear (SCIM 1.1
 * core §3.3.2). SCIM 1.1 PATCH adds to multi-valued attributes and sets singular ones, which is exactly
 * a SCIM 2.0 `add`; removals become `remove members` with the member list, which this library reads as
 * "remove these".
 */
function isDelete(member: unknown): boolean {
  if (!isPlainObject(member)) return false;
  const key = findKeyInsensitive(member, 'operation');
  const operation = key === undefined ? undefined : member[key];
  return typeof operation === 'string' && operation.toLowerCase() === 'delete';
}

function withoutOperation(member: unknown): unknown {
  if (!isPlainObject(member)) return member;
  const key = findKeyInsensitive(member, 'operation');
  if (key === undefined) return member;
  const { [key]: _operation, ...rest } = member;
  return rest;
}

function toPatchOp(body: Record<string, unknown>): unknown {
  const operations: Record<string, unknown>[] = [];
  const partial: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas' || lower === 'id') continue;
    if (lower === 'meta') {
      const attributesKey = isPlainObject(value) ? findKeyInsensitive(value, 'attributes') : undefined;
      const cleared = attributesKey !== undefined && isPlainObject(value) ? value[attributesKey] : undefined;
      if (Array.isArray(cleared)) for (const path of cleared) if (typeof path === 'string') operations.push({ op: 'remove', path });
      continue;
    }
    if (lower === 'members' && Array.isArray(value)) {
      const removed = value.filter(isDelete).map(withoutOperation);
      const added = value.filter((member) => !isDelete(member)).map(withoutOperation);
      if (removed.length > 0) operations.push({ op: 'remove', path: 'members', value: removed });
      if (added.length > 0) operations.push({ op: 'add', path: 'members', value: added });
      continue;
    }
    partial[key] = value;
  }
  if (Object.keys(partial).length > 0) operations.push({ op: 'add', value: partial });
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations };
}

export const scim11MembersQuirk: Quirk = {
  name: 'scim11-member-operations',
  description:
    'SCIM 1.1 PATCH bodies ({"members":[{"value":"id","operation":"delete"}]}) become PatchOps; in a PUT body, members marked delete are not members.',
  patch: (_resourceType, body) => (isPlainObject(body) && findKeyInsensitive(body, 'Operations') === undefined ? toPatchOp(body) : body),
  resource: (_resourceType, body) => {
    if (!isPlainObject(body)) return body;
    const key = findKeyInsensitive(body, 'members');
    const members = key === undefined ? undefined : body[key];
    if (key === undefined || !Array.isArray(members)) return body;
    return { ...body, [key]: members.filter((member) => !isDelete(member)).map(withoutOperation) };
  },
};
