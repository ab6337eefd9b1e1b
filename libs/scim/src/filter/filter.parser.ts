/*
 * Own parser rather than `scim2-parse-filter` 0.2.10, which we tried against these tests and which:
 * leaves JSON escapes undecoded (`"\u0041"` stays six characters, `"a\\b"` keeps both backslashes);
 * accepts attribute names starting with a digit and nested value paths (`emails[x[...]]`), both outside
 * the grammar; silently rewrites `emails[type eq "work"].value eq "x"` into two *independent*
 * conditions (any work email AND any email equal to x), which matches the wrong users; has no notion of
 * a PATCH path with a trailing sub-attribute; and reports errors with its internal token dumps.
 * The grammar is small (RFC 7644 §3.4.2.2, Figure 1) and the AST here is a typed discriminated union.
 */
import { ScimError } from '../errors/scim.error';
import {
  COMPARISON_OPERATORS,
  type AttributePath,
  type ComparisonOperator,
  type FilterNode,
  type FilterValue,
  type PatchPath,
} from './filter.ast';
import { tokenize, type Token } from './filter.lexer';

/** Long enough for any IdP filter; bounds parser recursion and the size of the SQL we build from it. */
export const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 32;

const ATTRIBUTE_NAME = /^\$?[A-Za-z][A-Za-z0-9_-]*$/;
const SCHEMA_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s()[\]"]*$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const OPERATORS: ReadonlySet<string> = new Set(COMPARISON_OPERATORS);

type Fail = (detail: string) => ScimError;

export function parseFilter(text: string): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw ScimError.invalidFilter(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(text, ScimError.invalidFilter);
  const node = parser.parseFilter(false, 0);
  parser.expectEnd();
  return node;
}

/** PATCH `path` (RFC 7644 §3.5.2): `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`. */
export function parsePatchPath(text: string): PatchPath {
  if (text.length > MAX_FILTER_LENGTH) throw ScimError.invalidPath(`path is longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(text, (detail) => ScimError.invalidPath(`invalid path "${text}": ${detail}`));
  const path = parser.parsePatchPath();
  parser.expectEnd();
  return path;
}

/** A bare attribute path, as in `attributes`, `excludedAttributes` and `sortBy`. */
export function parseAttributePath(text: string, fail: Fail = ScimError.invalidValue): AttributePath {
  const trimmed = text.trim();
  if (trimmed.length === 0 || /[\s()[\]"]/.test(trimmed)) throw fail(`invalid attribute path "${text}"`);
  return splitAttributePath(trimmed, 0, (detail) => fail(`invalid attribute path "${text}": ${detail}`));
}

function splitAttributePath(word: string, position: number, fail: Fail): AttributePath {
  const colon = word.lastIndexOf(':');
  const uri = colon >= 0 ? word.slice(0, colon) : undefined;
  const rest = colon >= 0 ? word.slice(colon + 1) : word;
  if (uri !== undefined && !SCHEMA_URI.test(uri)) throw fail(`invalid schema URI "${uri}" at position ${position}`);
  const parts = rest.split('.');
  if (parts.length > 2) throw fail(`"${word}" at position ${position} nests deeper than attribute.subAttribute`);
  const [name, subAttr] = parts as [string, string | undefined];
  if (!ATTRIBUTE_NAME.test(name)) throw fail(`invalid attribute name "${name}" at position ${position}`);
  if (subAttr !== undefined && !ATTRIBUTE_NAME.test(subAttr)) {
    throw fail(`invalid sub-attribute name "${subAttr}" at position ${position}`);
  }
  return { ...(uri !== undefined ? { uri } : {}), name, ...(subAttr !== undefined ? { subAttr } : {}) };
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    text: string,
    private readonly fail: Fail,
  ) {
    this.tokens = tokenize(text, fail);
  }

  parseFilter(relative: boolean, depth: number): FilterNode {
    if (depth > MAX_DEPTH) throw this.fail(`filter nests deeper than ${MAX_DEPTH} levels`);
    let left = this.parseAnd(relative, depth);
    while (this.peekKeyword('or')) {
      this.index += 1;
      left = { kind: 'logical', operator: 'or', left, right: this.parseAnd(relative, depth) };
    }
    return left;
  }

  parsePatchPath(): PatchPath {
    const attribute = this.parsePath(false);
    if (this.peek().kind !== '[') return { attribute };
    if (attribute.subAttr !== undefined) throw this.fail('a value filter must follow the multi-valued attribute itself');
    this.index += 1;
    const filter = this.parseFilter(true, 1);
    this.expect(']');
    const next = this.peek();
    if (next.kind === 'word' && next.text.startsWith('.')) {
      this.index += 1;
      const subAttr = next.text.slice(1);
      if (!ATTRIBUTE_NAME.test(subAttr)) throw this.fail(`invalid sub-attribute "${subAttr}" at position ${next.position}`);
      return { attribute, filter, subAttr };
    }
    return { attribute, filter };
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.fail(`unexpected ${describe(token)} at position ${token.position}`);
  }

  private parseAnd(relative: boolean, depth: number): FilterNode {
    let left = this.parseUnary(relative, depth);
    while (this.peekKeyword('and')) {
      this.index += 1;
      left = { kind: 'logical', operator: 'and', left, right: this.parseUnary(relative, depth) };
    }
    return left;
  }

  private parseUnary(relative: boolean, depth: number): FilterNode {
    const token = this.peek();
    if (token.kind === '(') {
      this.index += 1;
      const inner = this.parseFilter(relative, depth + 1);
      this.expect(')');
      return inner;
    }
    if (this.peekKeyword('not') && this.tokens[this.index + 1]?.kind === '(') {
      this.index += 2;
      const inner = this.parseFilter(relative, depth + 1);
      this.expect(')');
      return { kind: 'not', filter: inner };
    }
    return this.parseAttributeExpression(relative, depth);
  }

  private parseAttributeExpression(relative: boolean, depth: number): FilterNode {
    const path = this.parsePath(relative);
    if (this.peek().kind === '[') {
      if (relative) throw this.fail(`value filters cannot be nested (position ${this.peek().position})`);
      if (path.subAttr !== undefined) throw this.fail('a value filter must follow the multi-valued attribute itself');
      this.index += 1;
      const inner = this.parseFilter(true, depth + 1);
      this.expect(']');
      const next = this.peek();
      // Entra ID's configurable matching attribute `emails[type eq "work"].value eq "x"` is outside the
      // grammar; it means one element satisfying both, so it becomes that value path.
      if (next.kind === 'word' && next.text.startsWith('.')) {
        this.index += 1;
        const subAttr = next.text.slice(1);
        if (!ATTRIBUTE_NAME.test(subAttr)) throw this.fail(`invalid sub-attribute "${subAttr}" at position ${next.position}`);
        const condition = this.parseCondition({ name: subAttr });
        return { kind: 'valuePath', path, filter: { kind: 'logical', operator: 'and', left: inner, right: condition } };
      }
      return { kind: 'valuePath', path, filter: inner };
    }
    return this.parseCondition(path);
  }

  private parseCondition(path: AttributePath): FilterNode {
    const token = this.peek();
    if (token.kind !== 'word') throw this.fail(`expected an operator after the attribute, found ${describe(token)} at position ${token.position}`);
    const operator = token.text.toLowerCase();
    this.index += 1;
    if (operator === 'pr') return { kind: 'present', path };
    if (!OPERATORS.has(operator)) throw this.fail(`unknown operator "${token.text}" at position ${token.position}`);
    return { kind: 'comparison', path, operator: operator as ComparisonOperator, value: this.parseValue() };
  }

  private parseValue(): FilterValue {
    const token = this.peek();
    this.index += 1;
    if (token.kind === 'string') return token.value;
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
      if (JSON_NUMBER.test(token.text)) {
        const value = Number(token.text);
        if (Number.isFinite(value)) return value;
      }
      throw this.fail(`invalid value ${token.text} at position ${token.position}: strings must be in double quotes`);
    }
    throw this.fail(`expected a value, found ${describe(token)} at position ${token.position}`);
  }

  private parsePath(relative: boolean): AttributePath {
    const token = this.peek();
    if (token.kind !== 'word') throw this.fail(`expected an attribute, found ${describe(token)} at position ${token.position}`);
    this.index += 1;
    const path = splitAttributePath(token.text, token.position, this.fail);
    if (relative && (path.uri !== undefined || path.subAttr !== undefined)) {
      throw this.fail(`inside a value filter, "${token.text}" must be a sub-attribute name`);
    }
    return path;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private expect(kind: ')' | ']'): void {
    const token = this.peek();
    if (token.kind !== kind) throw this.fail(`expected "${kind}", found ${describe(token)} at position ${token.position}`);
    this.index += 1;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'word':
      return `"${token.text}"`;
    case 'string':
      return 'a string';
    case 'end':
      return 'the end of the input';
    case '(':
    case ')':
    case '[':
    case ']':
      return `"${token.kind}"`;
    default: {
      const unreachable: never = token;
      return String(unreachable);
    }
  }
}
