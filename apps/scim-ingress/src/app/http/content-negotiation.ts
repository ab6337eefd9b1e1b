import type { Request, Response } from 'express';
import { toScimErrorResponse } from '@scimbridge/scim';

export const SCIM_JSON = 'application/scim+json';

/**
 * The response media type: what the client's Accept names (`application/json` for OneLogin, whose
 * documentation asks for it), else SCIM's own `application/scim+json` (RFC 7644 §3.1).
 */
export function responseType(req: Request): string {
  const accept = String(req.headers.accept ?? '').toLowerCase();
  if (accept.includes(SCIM_JSON)) return SCIM_JSON;
  if (accept.includes('application/json')) return 'application/json';
  return SCIM_JSON;
}

/** Sends a SCIM Error for any failure; unexpected errors become a 500 that says nothing internal. */
export function sendScimError(req: Request, res: Response, error: unknown, extraHeaders: Record<string, string> = {}): void {
  const { httpStatus, body } = toScimErrorResponse(error);
  res.locals['scimError'] = body.detail ?? null;
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  res.status(httpStatus).type(`${responseType(req)}; charset=utf-8`).send(JSON.stringify(body));
}
