import { ScimError } from '../errors/scim.error';
import type { AttributePath, FilterNode } from '../filter/filter.ast';
import { parseAttributePath, parseFilter } from '../filter/filter.parser';
import { findKeyInsensitive, isPlainObject } from '../util/json.util';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export type SortOrder = 'ascending' | 'descending';

/** The query of a `GET /Users` or `POST /Users/.search` (RFC 7644 §3.4.2, §3.4.3), parsed. */
export interface ListQuery {
  readonly filter?: FilterNode;
  readonly sortBy?: AttributePath;
  readonly sortOrder: SortOrder;
  /** 1-based; values below 1 became 1 (RFC 7644 §3.4.2.4). */
  readonly startIndex: number;
  /** Values below 0 became 0; values above `maxCount` were lowered to it. */
  readonly count: number;
  readonly attributes: readonly string[];
  readonly excludedAttributes: readonly string[];
}

export interface ListQueryLimits {
  /** Page size when the client gives no `count`. */
  readonly defaultCount?: number;
  /** Largest page served; RFC 7644 lets a provider return fewer than asked. */
  readonly maxCount?: number;
}

export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Parses query parameters (already URL-decoded by the HTTP layer, which must also turn Entra ID's
 * form-style `+` into spaces). Parameter names are matched case-insensitively.
 */
export function parseListQuery(params: QueryParams, limits: ListQueryLimits = {}): ListQuery {
  const get = (name: string): string | undefined => {
    const key = findKeyInsensitive(params as Record<string, unknown>, name);
    const value = key === undefined ? undefined : params[key];
    return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
  };
  const getAll = (name: string): string[] => {
    const key = findKeyInsensitive(params as Record<string, unknown>, name);
    const value = key === undefined ? undefined : params[key];
    if (value === undefined) return [];
    return (Array.isArray(value) ? (value as readonly string[]) : [value as string]).flatMap(splitAttributeList);
  };
  return buildQuery(
    {
      filter: get('filter'),
      sortBy: get('sortBy'),
      sortOrder: get('sortOrder'),
      startIndex: get('startIndex'),
      count: get('count'),
      attributes: getAll('attributes'),
      excludedAttributes: getAll('excludedAttributes'),
    },
    limits,
  );
}

/** `POST /.search` body: the same parameters as JSON, attribute lists as arrays (RFC 7644 §3.4.3). */
export function parseSearchRequest(body: unknown, limits: ListQueryLimits = {}): ListQuery {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('the search request must be a JSON object');
  const get = (name: string): unknown => {
    const key = findKeyInsensitive(body, name);
    return key === undefined ? undefined : body[key];
  };
  const schemas = get('schemas');
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase()))) {
    throw ScimError.invalidSyntax(`a search request must have the schema ${SEARCH_REQUEST_SCHEMA}`);
  }
  const text = (name: string): string | undefined => {
    const value = get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && (name === 'startIndex' || name === 'count')) return String(value);
    throw ScimError.invalidValue(`"${name}" must be a ${name === 'startIndex' || name === 'count' ? 'number' : 'string'}`);
  };
  const list = (name: string): string[] => {
    const value = get(name);
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return splitAttributeList(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return (value as string[]).flatMap(splitAttributeList);
    throw ScimError.invalidValue(`"${name}" must be a list of attribute names`);
  };
  return buildQuery(
    {
      filter: text('filter'),
      sortBy: text('sortBy'),
      sortOrder: text('sortOrder'),
      startIndex: text('startIndex'),
      count: text('count'),
      attributes: list('attributes'),
      excludedAttributes: list('excludedAttributes'),
    },
    limits,
  );
}

interface RawQuery {
  filter: string | undefined;
  sortBy: string | undefined;
  sortOrder: string | undefined;
  startIndex: string | undefined;
  count: string | undefined;
  attributes: string[];
  excludedAttributes: string[];
}

function buildQuery(raw: RawQuery, limits: ListQueryLimits): ListQuery {
  const maxCount = limits.maxCount ?? MAX_COUNT;
  const defaultCount = Math.min(limits.defaultCount ?? DEFAULT_COUNT, maxCount);
  const startIndex = raw.startIndex === undefined || raw.startIndex.trim() === '' ? 1 : Math.max(1, integer('startIndex', raw.startIndex));
  const count = raw.count === undefined || raw.count.trim() === '' ? defaultCount : Math.min(maxCount, Math.max(0, integer('count', raw.count)));
  const filterText = raw.filter?.trim();
  const sortByText = raw.sortBy?.trim();
  return {
    ...(filterText ? { filter: parseFilter(filterText) } : {}),
    ...(sortByText ? { sortBy: parseAttributePath(sortByText) } : {}),
    sortOrder: sortOrder(raw.sortOrder),
    startIndex,
    count,
    attributes: raw.attributes,
    excludedAttributes: raw.excludedAttributes,
  };
}

function sortOrder(raw: string | undefined): SortOrder {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'ascending') return 'ascending';
  if (value === 'descending') return 'descending';
  throw ScimError.invalidValue(`sortOrder must be "ascending" or "descending", got "${raw}"`);
}

function integer(name: string, raw: string): number {
  if (!/^\s*-?\d{1,15}\s*$/.test(raw)) throw ScimError.invalidValue(`"${name}" must be an integer, got "${raw}"`);
  return Number(raw);
}

function splitAttributeList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}
