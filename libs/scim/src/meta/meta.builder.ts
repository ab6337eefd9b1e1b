import { ScimError } from '../errors/scim.error';
import { defaultRegistry, type SchemaRegistry } from '../schema/schema.registry';
import { normaliseDateTime } from '../schema/value.coercion';
import type { JsonObject } from '../util/json.util';

/** RFC 7643 §3.1 `meta`. Stored inside the resource document so filters on `meta.lastModified` work in SQL. */
export type ScimMeta = {
  resourceType: string;
  created: string;
  lastModified: string;
  location: string;
  version: string;
};

export interface MetaInput {
  readonly resourceType: string;
  readonly id: string;
  /** The directory's SCIM base URL, e.g. `https://sync.example.com/directory/d1/scim/v2`. */
  readonly baseUrl: string;
  /** Time comes in from the caller: nothing here reads the clock. */
  readonly created: Date | string;
  readonly lastModified: Date | string;
  /** The resource's stream version; published as the weak ETag `W/"<version>"`. */
  readonly version: number;
  readonly registry?: SchemaRegistry;
}

export function buildMeta(input: MetaInput): ScimMeta {
  const type = (input.registry ?? defaultRegistry).resourceType(input.resourceType);
  return {
    resourceType: type.id,
    created: timestamp(input.created),
    lastModified: timestamp(input.lastModified),
    location: resourceLocation(input.baseUrl, type.definition.endpoint, input.id),
    version: formatETag(input.version),
  };
}

/** The resource with `id` and `meta` set (both readOnly, so only the server writes them). */
export function withMeta(resource: JsonObject, id: string, meta: ScimMeta): JsonObject {
  const result: JsonObject = {};
  if (resource['schemas'] !== undefined) result['schemas'] = resource['schemas'];
  result['id'] = id;
  for (const [key, value] of Object.entries(resource)) {
    if (key !== 'schemas' && key !== 'id' && key !== 'meta') result[key] = value;
  }
  result['meta'] = meta;
  return result;
}

export function resourceLocation(baseUrl: string, endpoint: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${endpoint}/${encodeURIComponent(id)}`;
}

export function formatETag(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`a version is a non-negative integer, got ${version}`);
  return `W/"${version}"`;
}

/** The version in `W/"3"` (or a strong `"3"`, which some clients send back); `undefined` if it is not ours. */
export function parseETag(tag: string): number | undefined {
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}

/** RFC 7232 §3.1 `If-Match`: absent, `*`, or a list naming the current version. */
export function ifMatchSatisfied(header: string | undefined, currentVersion: number): boolean {
  if (header === undefined || header.trim() === '') return true;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => parseETag(tag) === currentVersion);
}

export function assertIfMatch(header: string | undefined, currentVersion: number): void {
  if (!ifMatchSatisfied(header, currentVersion)) {
    throw ScimError.preconditionFailed(`the resource has changed: its version is now ${formatETag(currentVersion)}`);
  }
}

function timestamp(value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('meta times must be valid dates');
    return value.toISOString();
  }
  const normalised = normaliseDateTime(value);
  if (normalised === undefined) throw new Error(`meta times must be xsd:dateTime strings, got ${value}`);
  return normalised;
}
