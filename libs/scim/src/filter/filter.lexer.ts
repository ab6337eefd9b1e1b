import { ScimError } from '../errors/scim.error';

/**
 * Tokens of the filter and PATCH path languages. Words are maximal runs of anything but whitespace,
 * brackets, parentheses and quotes; the parser gives them meaning by position (an attribute path, an
 * operator or a literal), which is what lets an attribute be named `pr` or `and`.
 */
export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly position: number }
  | { readonly kind: 'string'; readonly value: string; readonly position: number }
  | { readonly kind: '(' | ')' | '[' | ']'; readonly position: number }
  | { readonly kind: 'end'; readonly position: number };

const PUNCTUATION = new Set(['(', ')', '[', ']']);
const WHITESPACE = /\s/;

export function tokenize(text: string, fail: (detail: string) => ScimError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (WHITESPACE.test(ch)) {
      i += 1;
    } else if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: ch as '(' | ')' | '[' | ']', position: i });
      i += 1;
    } else if (ch === '"') {
      const start = i;
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) throw fail(`unterminated string starting at position ${start}`);
      i += 1;
      tokens.push({ kind: 'string', value: decodeJsonString(text.slice(start, i), start, fail), position: start });
    } else {
      const start = i;
      while (i < text.length && !WHITESPACE.test(text[i] as string) && !PUNCTUATION.has(text[i] as string) && text[i] !== '"') {
        i += 1;
      }
      tokens.push({ kind: 'word', text: text.slice(start, i), position: start });
    }
  }
  tokens.push({ kind: 'end', position: text.length });
  return tokens;
}

/** Filter strings are JSON strings (RFC 7644 §3.4.2.2 compValue), escapes included. */
function decodeJsonString(literal: string, position: number, fail: (detail: string) => ScimError): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw fail(`invalid string literal at position ${position}`);
  }
}
