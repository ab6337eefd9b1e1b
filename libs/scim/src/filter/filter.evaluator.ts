import { ScimError } from '../errors/scim.error';
import { resourceTypeModel, type ResourceTypeOptions } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import { compareCodePoints, isPlainObject } from '../util/json.util';
import type { FilterNode } from './filter.ast';
import { bindFilter, type BoundFilter, type BoundOperator, type BoundStep } from './filter.binder';

/**
 * In-memory evaluation of a filter over canonical resources: for `/.search` on small sets, PATCH value
 * filters, and as the oracle the SQL compiler is tested against. Semantics (shared with `filter.sql.ts`):
 * a comparison on a multi-valued path matches when ANY value matches; `ne` is `not eq`, so it matches
 * resources without the attribute; a comparison on a missing attribute is false; strings of
 * caseExact=false attributes compare lower-cased; ordering of strings is by Unicode code point.
 */
export type ResourcePredicate = (resource: unknown) => boolean;

export function compileFilterPredicate(filter: FilterNode, options: ResourceTypeOptions): ResourcePredicate {
  const bound = bindFilter(filter, resourceTypeModel(options), ScimError.invalidFilter);
  return (resource) => evaluateBound(bound, resource);
}

export function matchesFilter(resource: unknown, filter: FilterNode, options: ResourceTypeOptions): boolean {
  return compileFilterPredicate(filter, options)(resource);
}

export function evaluateBound(filter: BoundFilter, node: unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluateBound(filter.left, node) && evaluateBound(filter.right, node);
    case 'or':
      return evaluateBound(filter.left, node) || evaluateBound(filter.right, node);
    case 'not':
      return !evaluateBound(filter.filter, node);
    case 'present':
      return valuesAt(node, filter.steps).some(isPresent);
    case 'valuePath':
      return valuesAt(node, filter.steps).some((value) => isPlainObject(value) && evaluateBound(filter.filter, value));
    case 'comparison': {
      const leaf = (filter.steps[filter.steps.length - 1] as BoundStep).attribute;
      return valuesAt(node, filter.steps).some((value) => compareLeaf(leaf, value, filter.operator, filter.value));
    }
    default: {
      const unreachable: never = filter;
      throw new Error(`unknown bound filter ${JSON.stringify(unreachable)}`);
    }
  }
}

/** All values a path reaches, flattening every multi-valued step (`emails.value` → each email's value). */
export function valuesAt(node: unknown, steps: readonly BoundStep[], from = 0): unknown[] {
  if (from === steps.length) return node === undefined ? [] : [node];
  if (!isPlainObject(node)) return [];
  const step = steps[from] as BoundStep;
  const child = node[step.key];
  if (child === undefined) return [];
  if (step.attribute.multiValued) {
    if (!Array.isArray(child)) return [];
    return child.flatMap((item: unknown) => valuesAt(item, steps, from + 1));
  }
  return valuesAt(child, steps, from + 1);
}

/** RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with at least one sub-attribute. */
export function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

function compareLeaf(attr: AttributeDefinition, actual: unknown, operator: BoundOperator, expected: string | number | boolean): boolean {
  switch (attr.type) {
    case 'string':
    case 'reference':
    case 'binary': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const a = attr.caseExact ? actual : actual.toLowerCase();
      const b = attr.caseExact ? expected : expected.toLowerCase();
      switch (operator) {
        case 'eq':
          return a === b;
        case 'co':
          return a.includes(b);
        case 'sw':
          return a.startsWith(b);
        case 'ew':
          return a.endsWith(b);
        default:
          return ordered(compareCodePoints(a, b), operator);
      }
    }
    case 'boolean':
      return typeof actual === 'boolean' && operator === 'eq' && actual === expected;
    case 'integer':
    case 'decimal':
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      return ordered(actual === expected ? 0 : actual < expected ? -1 : 1, operator);
    case 'dateTime': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const a = Date.parse(actual);
      const b = Date.parse(expected);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return ordered(a === b ? 0 : a < b ? -1 : 1, operator);
    }
    case 'complex':
      return false;
    default: {
      const unreachable: never = attr.type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}

function ordered(comparison: number, operator: BoundOperator): boolean {
  switch (operator) {
    case 'eq':
      return comparison === 0;
    case 'gt':
      return comparison > 0;
    case 'ge':
      return comparison >= 0;
    case 'lt':
      return comparison < 0;
    case 'le':
      return comparison <= 0;
    case 'co':
    case 'sw':
    case 'ew':
      return false;
    default: {
      const unreachable: never = operator;
      throw new Error(`unknown operator ${String(unreachable)}`);
    }
  }
}
