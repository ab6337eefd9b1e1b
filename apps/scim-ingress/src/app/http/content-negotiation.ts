import type { FastifyReply, FastifyRequest } from 'fastify';
import { ScimError, toScimErrorResponse, type ScimErrorType } from '@scimbridge/scim';

export const SCIM_JSON = 'application/scim+json';

/** The detail of a 404 for a path under the SCIM base URL that names no endpoint. */
export const UNKNOWN_ENDPOINT = 'no such SCIM endpoint (this service serves /Users, /Groups, /ServiceProviderConfig, /ResourceTypes, /Schemas)';

/**
 * The response media type: what the client's Accept names (`application/json` for OneLogin, whose
 * documentation asks for it), else SCIM's own `application/scim+json` (RFC 7644 §3.1).
 */
export function responseType(req: FastifyRequest): string {
  const accept = String(req.headers.accept ?? '').toLowerCase();
  if (accept.includes(SCIM_JSON)) return SCIM_JSON;
  if (accept.includes('application/json')) return 'application/json';
  return SCIM_JSON;
}

/** A SCIM error whose response carries headers (a 405's `Allow`). */
export class ScimErrorWithHeaders extends ScimError {
  constructor(
    status: number,
    scimType: ScimErrorType | undefined,
    detail: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super(status, scimType, detail);
  }
}

/** Sends a SCIM Error for any failure; unexpected errors become a 500 that says nothing internal. */
export function sendScimError(req: FastifyRequest, reply: FastifyReply, error: unknown, extraHeaders: Record<string, string> = {}): FastifyReply {
  const { httpStatus, body } = toScimErrorResponse(error);
  if (req.scimState) req.scimState.error = body.detail ?? null;
  const headers = error instanceof ScimErrorWithHeaders ? { ...error.headers, ...extraHeaders } : extraHeaders;
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(httpStatus).type(`${responseType(req)}; charset=utf-8`).send(JSON.stringify(body));
}
