import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Portal sessions: what the SCIM configuration portal's browser presents instead of the management key.
 * A portal link (minted by the ingress for the app's backend) is exchanged once for a session cookie
 * scoped to one organization; every service of the management API accepts that cookie on the routes
 * that allow it (`@AllowPortalSession()`), as an organization-scoped AccessScope.
 *
 * The cookie is a signed token, not a row id: role-assignment and portal-query must check it on every
 * request without reading the ingress's tables (one schema per service) or calling it. The signing key
 * is derived from MANAGEMENT_API_KEY, which all of them already share as a secret, so there is no second
 * secret to distribute; rotating the management key ends every session. Written by hand (HMAC-SHA256 over
 * a small JSON payload, compared in constant time) rather than with a JWT library: one algorithm, no
 * header to negotiate, nothing to misconfigure.
 */

export const PORTAL_SESSION_COOKIE = 'scimbridge_portal';
/** Cookie-authenticated writes must carry this header: a cross-site form cannot set it (CSRF). */
export const PORTAL_CSRF_HEADER = 'x-scimbridge-portal';

export interface PortalSessionClaims {
  /** Session id (random). */
  readonly sid: string;
  readonly organizationId: string;
  /** The portal link it was opened with. */
  readonly linkId: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

const PREFIX = 'v1';

function signingKey(managementApiKey: string): Buffer {
  return createHmac('sha256', managementApiKey).update('scimbridge/portal-session/v1').digest();
}

export class PortalSessionCodec {
  private readonly key: Buffer;

  constructor(managementApiKey: string) {
    this.key = signingKey(managementApiKey);
  }

  sign(claims: PortalSessionClaims): string {
    const payload = Buffer.from(JSON.stringify({ sid: claims.sid, org: claims.organizationId, lnk: claims.linkId, exp: claims.exp }), 'utf8').toString('base64url');
    return `${PREFIX}.${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claims of a well-signed, unexpired token; null otherwise (never throws on bad input). */
  verify(token: string, nowMs: number): PortalSessionClaims | null {
    if (token.length > 2048) return null;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return null;
    const [, payload, mac] = parts as [string, string, string];
    const expected = this.mac(payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { sid, org, lnk, exp } = parsed as Record<string, unknown>;
    if (typeof sid !== 'string' || typeof org !== 'string' || typeof lnk !== 'string' || typeof exp !== 'number') return null;
    if (exp * 1000 <= nowMs) return null;
    return { sid, organizationId: org, linkId: lnk, exp };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(`${PREFIX}.${payload}`).digest();
  }
}

/** One cookie's value from a Cookie header (RFC 6265 syntax; the value is not URL-decoded: ours is base64url). */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * The Set-Cookie header value of a session (or of its removal, with maxAgeSeconds 0). `SameSite=Lax`, so
 * a cross-site form cannot use it; an embedded session served over https is `SameSite=None` instead —
 * browsers send nothing else to a portal framed by another site's page — and then rests on the
 * X-Scimbridge-Portal header alone against CSRF.
 */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean, options: { readonly crossSite?: boolean } = {}): string {
  const sameSite = secure && options.crossSite === true ? 'SameSite=None' : 'SameSite=Lax';
  return [`${PORTAL_SESSION_COOKIE}=${token}`, 'Path=/', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, 'HttpOnly', sameSite, ...(secure ? ['Secure'] : [])].join('; ');
}
