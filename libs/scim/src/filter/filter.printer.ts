import type { AttributePath, FilterNode, FilterValue, PatchPath } from './filter.ast';

/**
 * Prints a filter in the canonical form `parseFilter` reads back to the same tree: lowercase keywords,
 * JSON literals, and only the parentheses the left-associative `and`/`or` precedence needs.
 */
export function printFilter(node: FilterNode): string {
  return print(node, 0);
}

export function printAttributePath(path: AttributePath): string {
  return `${path.uri !== undefined ? `${path.uri}:` : ''}${path.name}${path.subAttr !== undefined ? `.${path.subAttr}` : ''}`;
}

export function printPatchPath(path: PatchPath): string {
  const base = printAttributePath(path.attribute);
  if (path.filter === undefined) return base;
  return `${base}[${printFilter(path.filter)}]${path.subAttr !== undefined ? `.${path.subAttr}` : ''}`;
}

const PRECEDENCE = { or: 1, and: 2 } as const;

function print(node: FilterNode, minPrecedence: number): string {
  switch (node.kind) {
    case 'comparison':
      return `${printAttributePath(node.path)} ${node.operator} ${printValue(node.value)}`;
    case 'present':
      return `${printAttributePath(node.path)} pr`;
    case 'not':
      return `not (${print(node.filter, 0)})`;
    case 'valuePath':
      return `${printAttributePath(node.path)}[${print(node.filter, 0)}]`;
    case 'logical': {
      const precedence = PRECEDENCE[node.operator];
      const text = `${print(node.left, precedence)} ${node.operator} ${print(node.right, precedence + 1)}`;
      return precedence < minPrecedence ? `(${text})` : text;
    }
    default: {
      const unreachable: never = node;
      throw new Error(`unknown filter node ${JSON.stringify(unreachable)}`);
    }
  }
}

function printValue(value: FilterValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`filter numbers must be finite, got ${value}`);
  return JSON.stringify(value);
}
