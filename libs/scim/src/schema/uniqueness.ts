import type { JsonObject } from '../util/json.util';
import { resourceTypeModel, type ResourceTypeOptions } from './schema.registry';
import type { AttributeDefinition } from './schema.types';

/**
 * Values the caller must keep unique (RFC 7643 `uniqueness: server`), case-folded when the attribute is
 * case-insensitive: `{ userName: "bjensen" }` for `userName: "BJensen"`. The ingress stores them in
 * indexed columns (e.g. `user_name_lower`) and answers a clash with `ScimError.uniqueness` (409).
 * `id` is left out: the server assigns it.
 */
export function uniquenessKeys(resource: JsonObject, options: ResourceTypeOptions): Record<string, string> {
  const model = resourceTypeModel(options);
  const keys: Record<string, string> = {};
  const collect = (values: Record<string, unknown>, attrs: readonly AttributeDefinition[], prefix: string): void => {
    for (const attr of attrs) {
      if (attr.uniqueness === 'none' || attr.name === 'id' || attr.multiValued || attr.type === 'complex') continue;
      const value = values[attr.name];
      if (typeof value === 'string') keys[`${prefix}${attr.name}`] = attr.caseExact ? value : value.toLowerCase();
    }
  };
  collect(resource, model.coreAttributes, '');
  for (const ext of model.extensions) {
    const values = resource[ext.schema.id];
    if (values !== null && typeof values === 'object' && !Array.isArray(values)) collect(values, ext.schema.attributes, `${ext.schema.id}:`);
  }
  return keys;
}
