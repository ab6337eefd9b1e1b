import { ScimError } from '../errors/scim.error';
import { subAttributeOf, type ResourceTypeModel } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import { normaliseDateTime } from '../schema/value.coercion';
import type { AttributePath, ComparisonOperator, FilterNode, FilterValue } from './filter.ast';
import { printAttributePath } from './filter.printer';

/**
 * A filter bound to a resource type: every attribute is resolved to its definition and to the JSON keys
 * that reach it, literals are checked against the attribute type, and the operators that are sugar are
 * rewritten (`ne` → `not eq`, `eq null` → `not pr`). The evaluator and the SQL compiler both work from
 * this tree, so they cannot disagree about what a name or a literal means.
 */
export interface BoundStep {
  readonly key: string;
  readonly attribute: AttributeDefinition;
}

export type BoundOperator = Exclude<ComparisonOperator, 'ne'>;

export type BoundFilter =
  | { readonly kind: 'comparison'; readonly steps: readonly BoundStep[]; readonly operator: BoundOperator; readonly value: string | number | boolean }
  | { readonly kind: 'present'; readonly steps: readonly BoundStep[] }
  | { readonly kind: 'and' | 'or'; readonly left: BoundFilter; readonly right: BoundFilter }
  | { readonly kind: 'not'; readonly filter: BoundFilter }
  /** `steps` lead to the complex attribute; `filter` is bound relative to one of its values. */
  | { readonly kind: 'valuePath'; readonly steps: readonly BoundStep[]; readonly filter: BoundFilter };

type Fail = (detail: string) => ScimError;

export function bindFilter(node: FilterNode, model: ResourceTypeModel, fail: Fail = ScimError.invalidFilter): BoundFilter {
  return bind(node, (path) => stepsFor(model, path, fail), fail);
}

/** Binds a filter whose paths are sub-attributes of one value of `parent` (PATCH `members[value eq "x"]`). */
export function bindRelativeFilter(node: FilterNode, parent: AttributeDefinition, fail: Fail): BoundFilter {
  return bind(
    node,
    (path) => {
      const sub = path.uri === undefined && path.subAttr === undefined ? subAttributeOf(parent, path.name) : undefined;
      if (!sub) throw fail(`"${printAttributePath(path)}" is not a sub-attribute of "${parent.name}"`);
      return [{ key: sub.name, attribute: sub }];
    },
    fail,
  );
}

/** JSON keys from the resource root to the attribute a path names, in canonical case. */
export function stepsFor(model: ResourceTypeModel, path: AttributePath, fail: Fail): BoundStep[] {
  const resolved = model.resolve(path, { allowSchemas: true });
  if (!resolved) throw fail(`unknown attribute "${printAttributePath(path)}" for ${model.id}`);
  if (resolved.kind === 'extension') {
    const ext = model.extension(resolved.extension);
    if (!ext) throw fail(`unknown extension ${resolved.extension}`);
    return [{ key: ext.schema.id, attribute: ext.asAttribute }];
  }
  const steps: BoundStep[] = [];
  if (resolved.extension !== undefined) {
    const ext = model.extension(resolved.extension);
    if (ext) steps.push({ key: ext.schema.id, attribute: ext.asAttribute });
  }
  steps.push({ key: resolved.attribute.name, attribute: resolved.attribute });
  if (resolved.subAttribute) steps.push({ key: resolved.subAttribute.name, attribute: resolved.subAttribute });
  return steps;
}

function bind(node: FilterNode, resolve: (path: AttributePath) => BoundStep[], fail: Fail): BoundFilter {
  switch (node.kind) {
    case 'logical':
      return { kind: node.operator, left: bind(node.left, resolve, fail), right: bind(node.right, resolve, fail) };
    case 'not':
      return { kind: 'not', filter: bind(node.filter, resolve, fail) };
    case 'present':
      return { kind: 'present', steps: resolve(node.path) };
    case 'valuePath': {
      const steps = resolve(node.path);
      const parent = (steps[steps.length - 1] as BoundStep).attribute;
      if (parent.type !== 'complex') throw fail(`"${printAttributePath(node.path)}" is not complex: a value filter needs sub-attributes`);
      return { kind: 'valuePath', steps, filter: bindRelativeFilter(node.filter, parent, fail) };
    }
    case 'comparison': {
      const steps = comparableSteps(resolve(node.path), node.path, fail);
      const leaf = (steps[steps.length - 1] as BoundStep).attribute;
      if (node.value === null) {
        // RFC 7643 §2.5: unassigned and null are the same state, so `eq null` asks "not present".
        if (node.operator === 'eq') return { kind: 'not', filter: { kind: 'present', steps } };
        if (node.operator === 'ne') return { kind: 'present', steps };
        throw fail(`"${node.operator}" cannot compare with null`);
      }
      const value = checkLiteral(leaf, node.operator, node.value, node.path, fail);
      if (node.operator === 'ne') return { kind: 'not', filter: { kind: 'comparison', steps, operator: 'eq', value } };
      return { kind: 'comparison', steps, operator: node.operator, value };
    }
    default: {
      const unreachable: never = node;
      throw new Error(`unknown filter node ${JSON.stringify(unreachable)}`);
    }
  }
}

/** RFC 7644 §3.4.2.2 compares a complex multi-valued attribute through its `value` (`emails co "x"`). */
function comparableSteps(steps: BoundStep[], path: AttributePath, fail: Fail): BoundStep[] {
  const leaf = (steps[steps.length - 1] as BoundStep).attribute;
  if (leaf.type !== 'complex') return steps;
  const value = subAttributeOf(leaf, 'value');
  if (!value) throw fail(`"${printAttributePath(path)}" is complex: compare one of its sub-attributes`);
  return [...steps, { key: value.name, attribute: value }];
}

function checkLiteral(
  attr: AttributeDefinition,
  operator: ComparisonOperator,
  value: Exclude<FilterValue, null>,
  path: AttributePath,
  fail: Fail,
): string | number | boolean {
  const name = printAttributePath(path);
  const ordering = operator === 'gt' || operator === 'ge' || operator === 'lt' || operator === 'le';
  const substring = operator === 'co' || operator === 'sw' || operator === 'ew';
  switch (attr.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') throw fail(`"${name}" is a string: compare it with a quoted string`);
      if (attr.type === 'binary' && ordering) throw fail(`"${operator}" is not defined for binary "${name}"`);
      return value;
    case 'boolean':
      // RFC 7644 §3.4.2.2: ordering a boolean is an invalidFilter.
      if (typeof value !== 'boolean') throw fail(`"${name}" is a boolean: compare it with true or false`);
      if (ordering || substring) throw fail(`"${operator}" is not defined for boolean "${name}"`);
      return value;
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') throw fail(`"${name}" is a number: compare it with a number`);
      if (substring) throw fail(`"${operator}" is not defined for numeric "${name}"`);
      return value;
    case 'dateTime': {
      const normalised = typeof value === 'string' ? normaliseDateTime(value) : undefined;
      if (normalised === undefined) throw fail(`"${name}" is a dateTime: compare it with a string such as "2011-05-13T04:42:34Z"`);
      if (substring) throw fail(`"${operator}" is not defined for dateTime "${name}"`);
      return normalised;
    }
    case 'complex':
      throw fail(`"${name}" is complex: compare one of its sub-attributes`);
    default: {
      const unreachable: never = attr.type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}
