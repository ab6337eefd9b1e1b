import type { BoundStep } from '../filter/filter.binder';
import { resourceTypeModel, type ResourceTypeOptions } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import { compareCodePoints, isPlainObject } from '../util/json.util';
import type { ListQuery } from './list-query';
import { bindSortKey } from './sort.binder';

/**
 * In-memory sorting and paging with the semantics of `list-query.sql.ts` (RFC 7644 §3.4.2.3): a
 * multi-valued attribute sorts by its primary value, else its first; resources without a value come last
 * ascending and first descending; ties are broken by `id` so pages are stable.
 */
export function sortResources<T>(resources: readonly T[], query: Pick<ListQuery, 'sortBy' | 'sortOrder'>, options: ResourceTypeOptions): T[] {
  const byId = (a: T, b: T): number => compareCodePoints(idOf(a), idOf(b));
  if (query.sortBy === undefined) return [...resources].sort(byId);
  const steps = bindSortKey(resourceTypeModel(options), query.sortBy);
  const leaf = (steps[steps.length - 1] as BoundStep).attribute;
  const direction = query.sortOrder === 'descending' ? -1 : 1;
  const keyed = resources.map((resource) => ({ resource, key: sortKey(resource, steps, 0, leaf) }));
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      if (a.key === b.key) return byId(a.resource, b.resource);
      // Missing values: last when ascending, first when descending (PostgreSQL's NULLS default).
      return (a.key === undefined ? 1 : -1) * direction;
    }
    const order = compareKeys(a.key, b.key) * direction;
    return order !== 0 ? order : byId(a.resource, b.resource);
  });
  return keyed.map((entry) => entry.resource);
}

/** The page `startIndex`/`count` select (1-based). */
export function paginate<T>(resources: readonly T[], query: Pick<ListQuery, 'startIndex' | 'count'>): T[] {
  return resources.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
}

type SortKey = string | number | boolean;

function sortKey(node: unknown, steps: readonly BoundStep[], from: number, leaf: AttributeDefinition): SortKey | undefined {
  if (from === steps.length) return leafKey(node, leaf);
  if (!isPlainObject(node)) return undefined;
  const step = steps[from] as BoundStep;
  const child = node[step.key];
  if (!step.attribute.multiValued) return sortKey(child, steps, from + 1, leaf);
  if (!Array.isArray(child) || child.length === 0) return undefined;
  const primary = child.find((item: unknown) => isPlainObject(item) && item['primary'] === true);
  return sortKey(primary ?? child[0], steps, from + 1, leaf);
}

function leafKey(value: unknown, leaf: AttributeDefinition): SortKey | undefined {
  switch (leaf.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') return undefined;
      return leaf.caseExact ? value : value.toLowerCase();
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'integer':
    case 'decimal':
      return typeof value === 'number' ? value : undefined;
    case 'dateTime': {
      const millis = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(millis) ? undefined : millis;
    }
    case 'complex':
      return undefined;
    default: {
      const unreachable: never = leaf.type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  return 0;
}

function idOf(resource: unknown): string {
  const id = isPlainObject(resource) ? resource['id'] : undefined;
  return typeof id === 'string' ? id : '';
}
