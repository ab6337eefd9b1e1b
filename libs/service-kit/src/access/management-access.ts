import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createParamDecorator,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Expose } from 'class-transformer';
import { IsString, Matches, MinLength } from 'class-validator';
import { BaseServiceConfig, Secret } from '../config/service-config';
import { SERVICE_CONFIG } from '../tokens';
import { cookieValue, PORTAL_CSRF_HEADER, PORTAL_SESSION_COOKIE, PortalSessionCodec } from './portal-session';

/** Config of a service that serves part of the management API (`/api/v1`). */
export class ManagementApiConfig extends BaseServiceConfig {
  /** Bearer key of the management API, the same for every service; used by the app's own backend. */
  @Expose()
  @Secret()
  @IsString()
  @MinLength(32, { message: 'MANAGEMENT_API_KEY must be at least 32 characters' })
  MANAGEMENT_API_KEY!: string;
}

/**
 * Config of a service that also asks the ingress's management API (it owns organizations, directories,
 * tokens and the SCIM request log), with the same management key.
 */
export class IngressClientConfig extends ManagementApiConfig {
  /** The ingress's base URL, e.g. http://scim-ingress:3000 (`npm start` sets it). */
  @Expose()
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'SCIM_INGRESS_URL must be an http(s) URL' })
  SCIM_INGRESS_URL = 'http://127.0.0.1:3000';
}

/**
 * Whether the ingress (which owns organizations) knows `organizationId`: for a service that has not
 * seen the organization in any event yet (no directory so far). 404 → false; an answer other than 200,
 * or none within `timeoutMs`, is a 503 for the caller (the service cannot tell).
 */
export async function organizationKnownToIngress(config: Pick<IngressClientConfig, 'SCIM_INGRESS_URL' | 'MANAGEMENT_API_KEY'>, organizationId: string, timeoutMs = 5_000): Promise<boolean> {
  let status: number;
  try {
    const response = await fetch(`${config.SCIM_INGRESS_URL.replace(/\/+$/, '')}/api/v1/organizations/${encodeURIComponent(organizationId)}`, {
      headers: { authorization: `Bearer ${config.MANAGEMENT_API_KEY}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    throw new ServiceUnavailableException(`cannot confirm the organization with the ingress: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (status === 404) return false;
  if (status !== 200) throw new ServiceUnavailableException(`cannot confirm the organization with the ingress: it answered ${status}`);
  return true;
}

/**
 * Who is asking: the app's backend with the management key (every organization), or a portal session
 * bound to one organization (its session id and the link it came from, for the logs).
 */
export type AccessScope =
  | { readonly kind: 'management' }
  | { readonly kind: 'organization'; readonly organizationId: string; readonly sessionId?: string; readonly expiresAt?: string };

const ALLOW_PORTAL_SESSION = 'scimbridge:allow-portal-session';

/**
 * Lets a portal session (cookie) through on this route or controller, as an organization-scoped
 * AccessScope. Only for handlers that check the scope against the data they touch
 * (`mayAccessOrganization`); everything else stays management-key only.
 */
export const AllowPortalSession = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOW_PORTAL_SESSION, true);

const ACCESS = Symbol.for('scimbridge:access-scope');

interface RequestWithAccess {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  [ACCESS]?: AccessScope;
}

/** The digest of a presented key, so that keys of any length compare in constant time. */
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer $MANAGEMENT_API_KEY`, compared in constant time (as SHA-256 digests, so lengths
 * match): 401 without a bearer credential, 403 with a wrong one. On routes marked `@AllowPortalSession()`
 * a valid portal session cookie is accepted instead (writes must also carry the `X-Scimbridge-Portal`
 * header, which a cross-site form cannot send). Works on Express and Fastify alike.
 */
@Injectable()
export class ManagementAccessGuard implements CanActivate {
  private readonly expected: Buffer;
  private readonly sessions: PortalSessionCodec;

  constructor(
    @Inject(SERVICE_CONFIG) config: ManagementApiConfig,
    private readonly reflector: Reflector,
  ) {
    this.expected = digest(config.MANAGEMENT_API_KEY);
    this.sessions = new PortalSessionCodec(config.MANAGEMENT_API_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestWithAccess>();
    const header = String(request.headers['authorization'] ?? '');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) {
      if (!timingSafeEqual(digest(match[1] as string), this.expected)) throw new ForbiddenException('invalid management API key');
      request[ACCESS] = { kind: 'management' };
      return true;
    }
    const allowsSession = this.reflector.getAllAndOverride<boolean | undefined>(ALLOW_PORTAL_SESSION, [context.getHandler(), context.getClass()]) === true;
    const cookie = cookieValue(request.headers['cookie'], PORTAL_SESSION_COOKIE);
    if (!allowsSession || cookie === undefined) throw new UnauthorizedException('Authorization: Bearer <management API key> required');
    const claims = this.sessions.verify(cookie, Date.now());
    if (!claims) throw new UnauthorizedException('the portal session has expired or is not valid: open the portal link again');
    const method = (request.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && request.headers[PORTAL_CSRF_HEADER] === undefined) {
      throw new ForbiddenException(`portal requests that change something must carry the ${PORTAL_CSRF_HEADER} header`);
    }
    request[ACCESS] = { kind: 'organization', organizationId: claims.organizationId, sessionId: claims.sid, expiresAt: new Date(claims.exp * 1000).toISOString() };
    return true;
  }
}

/** The caller's scope, set by ManagementAccessGuard. */
export const Access = createParamDecorator((_: unknown, context: ExecutionContext): AccessScope => {
  const scope = context.switchToHttp().getRequest<RequestWithAccess>()[ACCESS];
  if (!scope) throw new UnauthorizedException('no access scope: the route lacks ManagementAccessGuard');
  return scope;
});

/**
 * Whether the caller may see an organization's data. Callers answer 404 (not 403) when it may not, so
 * a session of one organization cannot even learn that another's ids exist.
 */
export function mayAccessOrganization(scope: AccessScope, organizationId: string): boolean {
  return scope.kind === 'management' || scope.organizationId === organizationId;
}
