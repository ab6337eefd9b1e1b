import type { JsonObject, ProviderId } from '@scimbridge/scim';

/** An authenticated SCIM request: which directory it is for and which token it used. */
export interface ScimContext {
  readonly directoryId: string;
  readonly organizationId: string;
  readonly provider: ProviderId;
  readonly tokenId: string;
  readonly requestId: string;
  /** `{PUBLIC_URL}/directory/{directoryId}/scim/v2` */
  readonly baseUrl: string;
}

/** What a SCIM write did, for the response and for the request log. */
export interface WriteOutcome {
  readonly resource: JsonObject | null;
  readonly events: readonly { readonly id: string; readonly type: string; readonly streamId: string }[];
}
