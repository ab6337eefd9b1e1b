import type { JsonObject } from '../util/json.util';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ListResponse<T = JsonObject> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/**
 * RFC 7644 §3.4.2: integers, always (Okta rejects strings), and `Resources` present even when empty
 * (Entra ID's and OneLogin's connection tests filter on a user that does not exist and expect 200).
 */
export function buildListResponse<T = JsonObject>(page: { resources: readonly T[]; totalResults: number; startIndex: number }): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: page.totalResults,
    startIndex: page.startIndex,
    itemsPerPage: page.resources.length,
    Resources: [...page.resources],
  };
}
