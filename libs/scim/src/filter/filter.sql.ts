import { ScimError } from '../errors/scim.error';
import { resourceTypeModel, type ResourceTypeOptions } from '../schema/schema.registry';
import type { AttributeDefinition } from '../schema/schema.types';
import type { FilterNode } from './filter.ast';
import { bindFilter, type BoundFilter, type BoundStep } from './filter.binder';

/**
 * Compiles a filter to a PostgreSQL boolean expression over a JSONB column holding canonical resources,
 * with the semantics of `filter.evaluator.ts` (the property test runs both on the same data).
 *
 * Injection: every literal becomes a `$n` parameter. The only text taken from outside is the JSON keys,
 * and those come from the schema definitions (the binder resolves the request's names to them), are
 * checked against a strict pattern, and are quoted; `column` is the caller's code, checked as an
 * identifier. Substring operators use `strpos`/`starts_with`/`right`, never LIKE, so `%` and `_` in a
 * value are just characters.
 *
 * Case-insensitive comparison is `lower()` on both sides; it folds non-ASCII letters only if the
 * database's LC_CTYPE is a UTF-8 locale (in the C locale PostgreSQL folds ASCII only, while the evaluator
 * folds all of Unicode). Ordering of strings uses `COLLATE "C"`: code point order, as the evaluator.
 */
export interface SqlCompileOptions extends ResourceTypeOptions {
  /** The JSONB column (optionally `alias.column`), e.g. `r.resource`. */
  readonly column: string;
  /** Number of the first placeholder, so the fragment can follow the caller's own parameters. */
  readonly firstParamIndex?: number;
}

export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const JSON_KEY = /^[A-Za-z0-9:._$/#-]+$/;

export function compileFilter(filter: FilterNode, options: SqlCompileOptions): SqlFragment {
  const bound = bindFilter(filter, resourceTypeModel(options), ScimError.invalidFilter);
  const writer = new SqlWriter(checkedParamIndex(options.firstParamIndex));
  return { sql: writer.filter(bound, checkedColumn(options.column)), params: writer.params };
}

export function checkedColumn(column: string): string {
  if (!IDENTIFIER.test(column)) throw new Error(`column must be an identifier such as r.resource, got ${column}`);
  return column;
}

export function checkedParamIndex(index: number | undefined): number {
  const value = index ?? 1;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`firstParamIndex must be a positive integer, got ${value}`);
  return value;
}

export function jsonKey(key: string): string {
  if (!JSON_KEY.test(key)) throw new Error(`attribute key ${key} cannot be rendered into SQL`);
  return `'${key}'`;
}

/** `CASE` guards jsonb_array_elements, which raises on a non-array. */
export function arrayElements(expression: string): string {
  return `jsonb_array_elements(CASE WHEN jsonb_typeof(${expression}) = 'array' THEN ${expression} ELSE '[]'::jsonb END)`;
}

export class SqlWriter {
  readonly params: unknown[] = [];
  private aliases = 0;

  constructor(private readonly firstParamIndex: number) {}

  param(value: unknown, cast: string): string {
    this.params.push(value);
    return `$${this.firstParamIndex + this.params.length - 1}::${cast}`;
  }

  alias(): string {
    this.aliases += 1;
    return `e${this.aliases}`;
  }

  filter(filter: BoundFilter, base: string): string {
    switch (filter.kind) {
      case 'and':
        return `(${this.filter(filter.left, base)} AND ${this.filter(filter.right, base)})`;
      case 'or':
        return `(${this.filter(filter.left, base)} OR ${this.filter(filter.right, base)})`;
      case 'not':
        return `(NOT ${this.filter(filter.filter, base)})`;
      case 'present':
        return this.along(base, filter.steps, 0, (value) =>
          `COALESCE(${value} NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`,
        );
      case 'valuePath':
        return this.along(base, filter.steps, 0, (value) =>
          `COALESCE(jsonb_typeof(${value}) = 'object' AND ${this.filter(filter.filter, value)}, false)`,
        );
      case 'comparison': {
        const leaf = (filter.steps[filter.steps.length - 1] as BoundStep).attribute;
        return this.along(base, filter.steps, 0, (value) => `COALESCE(${this.comparison(leaf, value, filter)}, false)`);
      }
      default: {
        const unreachable: never = filter;
        throw new Error(`unknown bound filter ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Walks the path; each multi-valued step becomes `EXISTS` over its elements ("any value matches"). */
  private along(base: string, steps: readonly BoundStep[], from: number, leaf: (value: string) => string): string {
    if (from === steps.length) return leaf(base);
    const step = steps[from] as BoundStep;
    const child = `(${base} -> ${jsonKey(step.key)})`;
    if (!step.attribute.multiValued) return this.along(child, steps, from + 1, leaf);
    const alias = this.alias();
    return `EXISTS (SELECT 1 FROM ${arrayElements(child)} AS ${alias}(v) WHERE ${this.along(`${alias}.v`, steps, from + 1, leaf)})`;
  }

  private comparison(attr: AttributeDefinition, value: string, filter: Extract<BoundFilter, { kind: 'comparison' }>): string {
    const { operator } = filter;
    switch (attr.type) {
      case 'string':
      case 'reference':
      case 'binary': {
        const text = `(${value} #>> '{}')`;
        const guard = `jsonb_typeof(${value}) = 'string'`;
        const a = attr.caseExact ? text : `lower(${text})`;
        const p = this.param(filter.value, 'text');
        const b = attr.caseExact ? p : `lower(${p})`;
        switch (operator) {
          case 'eq':
            return `(${guard} AND ${a} = ${b})`;
          case 'co':
            return `(${guard} AND strpos(${a}, ${b}) > 0)`;
          case 'sw':
            return `(${guard} AND starts_with(${a}, ${b}))`;
          case 'ew':
            return `(${guard} AND right(${a}, length(${b})) = ${b})`;
          case 'gt':
          case 'ge':
          case 'lt':
          case 'le':
            return `(${guard} AND (${a} COLLATE "C") ${SQL_ORDERING[operator]} ${b})`;
          default: {
            const unreachable: never = operator;
            throw new Error(`unknown operator ${String(unreachable)}`);
          }
        }
      }
      case 'boolean':
        return `(${value} = to_jsonb(${this.param(filter.value, 'boolean')}))`;
      case 'integer':
      case 'decimal':
        return `(jsonb_typeof(${value}) = 'number' AND (${value})::numeric ${sqlOrdering(operator)} ${this.param(filter.value, 'numeric')})`;
      case 'dateTime':
        return `(jsonb_typeof(${value}) = 'string' AND (${value} #>> '{}')::timestamptz ${sqlOrdering(operator)} ${this.param(filter.value, 'timestamptz')})`;
      case 'complex':
        return 'false';
      default: {
        const unreachable: never = attr.type;
        throw new Error(`unknown attribute type ${String(unreachable)}`);
      }
    }
  }
}

const SQL_ORDERING = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

function sqlOrdering(operator: string): string {
  const sql = (SQL_ORDERING as Record<string, string>)[operator];
  // The binder rejects co/sw/ew on numbers and dates before SQL is written.
  if (sql === undefined) throw new Error(`operator ${operator} has no ordering`);
  return sql;
}
