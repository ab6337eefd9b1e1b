import type { JsonObject, ProviderId } from '@scimbridge/scim';
import type { Causation } from '../domain/event-wrapping';

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

/** Who and what caused a write's events: the request, its token (the IdP), and when (`at`, default now). */
export function causationOf(ctx: ScimContext, at: Date = new Date()): Causation {
  return { directoryId: ctx.directoryId, organizationId: ctx.organizationId, requestId: ctx.requestId, actor: { kind: 'idp', id: ctx.tokenId }, at };
}
