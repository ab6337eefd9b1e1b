import { ScimError } from '../errors/scim.error';
import type { BoundStep } from '../filter/filter.binder';
import { arrayElements, checkedColumn, checkedParamIndex, compileFilter, jsonKey, type SqlCompileOptions } from '../filter/filter.sql';
import { resourceTypeModel } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import type { ListQuery } from './list-query';
import { bindSortKey } from './sort.binder';

/**
 * A list request as SQL pieces over the JSONB column, for the caller to place in its own statement:
 *
 *   SELECT r.resource FROM scim_resources r
 *    WHERE r.directory_id = $1 AND r.resource_type = $2 AND (${where})
 *    ORDER BY ${orderBy} ${limit}                                    -- params: [dir, type, ...params]
 *   SELECT count(*) ... WHERE ... AND (${where})                     -- params: [dir, type, ...whereParams]
 *
 * The order always ends with `id`, so pages are stable (Okta and Entra ID page with startIndex).
 */
export interface CompiledListQuery {
  readonly where: string;
  readonly orderBy: string;
  /** `LIMIT $n OFFSET $m`, numbered after the filter's parameters. */
  readonly limit: string;
  /** Parameters of `where`, then of `limit`. */
  readonly params: unknown[];
  /** Parameters of `where` alone, for the count query. */
  readonly whereParams: unknown[];
}

export function compileListQuery(
  query: Pick<ListQuery, 'filter' | 'sortBy' | 'sortOrder' | 'startIndex' | 'count'>,
  options: SqlCompileOptions,
): CompiledListQuery {
  checkedColumn(options.column);
  const first = checkedParamIndex(options.firstParamIndex);
  const filter = query.filter ? compileFilter(query.filter, options) : { sql: 'TRUE', params: [] };
  const orderBy = compileOrderBy(query, options);
  const limitIndex = first + filter.params.length;
  if (!Number.isSafeInteger(query.startIndex) || query.startIndex < 1 || !Number.isSafeInteger(query.count) || query.count < 0) {
    throw ScimError.invalidValue('startIndex must be ≥ 1 and count ≥ 0');
  }
  return {
    where: filter.sql,
    orderBy,
    limit: `LIMIT $${limitIndex}::bigint OFFSET $${limitIndex + 1}::bigint`,
    params: [...filter.params, query.count, query.startIndex - 1],
    whereParams: [...filter.params],
  };
}

/** `ORDER BY` list (without the keywords); no parameters. */
export function compileOrderBy(query: Pick<ListQuery, 'sortBy' | 'sortOrder'>, options: SqlCompileOptions): string {
  const column = checkedColumn(options.column);
  const byId = `(${column} ->> 'id') COLLATE "C" ASC`;
  if (query.sortBy === undefined) return byId;
  const steps = bindSortKey(resourceTypeModel(options), query.sortBy);
  const leaf = (steps[steps.length - 1] as BoundStep).attribute;
  const value = typedSortValue(sortValue(column, steps, 0, { next: 0 }), leaf);
  const direction = query.sortOrder === 'descending' ? 'DESC NULLS FIRST' : 'ASC NULLS LAST';
  return `${value} ${direction}, ${byId}`;
}

/** A multi-valued step picks its primary element, else the first (RFC 7644 §3.4.2.3). */
function sortValue(base: string, steps: readonly BoundStep[], from: number, aliases: { next: number }): string {
  if (from === steps.length) return base;
  const step = steps[from] as BoundStep;
  const child = `(${base} -> ${jsonKey(step.key)})`;
  if (!step.attribute.multiValued) return sortValue(child, steps, from + 1, aliases);
  aliases.next += 1;
  const alias = `s${aliases.next}`;
  return `(SELECT ${sortValue(`${alias}.v`, steps, from + 1, aliases)} FROM ${arrayElements(child)} WITH ORDINALITY AS ${alias}(v, n) ORDER BY COALESCE(${alias}.v -> 'primary' = 'true'::jsonb, false) DESC, ${alias}.n LIMIT 1)`;
}

function typedSortValue(value: string, leaf: AttributeDefinition): string {
  switch (leaf.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return leaf.caseExact ? `((${value} #>> '{}') COLLATE "C")` : `(lower(${value} #>> '{}') COLLATE "C")`;
    case 'boolean':
      return `(${value})::boolean`;
    case 'integer':
    case 'decimal':
      return `(${value})::numeric`;
    case 'dateTime':
      return `(${value} #>> '{}')::timestamptz`;
    case 'complex':
      throw ScimError.invalidValue(`cannot sort by the complex attribute "${leaf.name}"`);
    default: {
      const unreachable: never = leaf.type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}
