import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createParamDecorator,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Expose } from 'class-transformer';
import { IsString, MinLength } from 'class-validator';
import { BaseServiceConfig, Secret } from '../config/service-config';
import { SERVICE_CONFIG } from '../tokens';

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
 * Who is asking: the app's backend with the management key (every organization), or — once portal
 * sessions exist — a portal session bound to one organization.
 */
export type AccessScope = { readonly kind: 'management' } | { readonly kind: 'organization'; readonly organizationId: string };

const ACCESS = Symbol.for('scimbridge:access-scope');

interface RequestWithAccess {
  headers: Record<string, string | string[] | undefined>;
  [ACCESS]?: AccessScope;
}

/** The digest of a presented key, so that keys of any length compare in constant time. */
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer $MANAGEMENT_API_KEY`, compared in constant time (as SHA-256 digests, so lengths
 * match): 401 without a bearer credential, 403 with a wrong one. Works on Express and Fastify alike.
 */
@Injectable()
export class ManagementAccessGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(SERVICE_CONFIG) config: ManagementApiConfig) {
    this.expected = digest(config.MANAGEMENT_API_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestWithAccess>();
    const header = String(request.headers['authorization'] ?? '');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedException('Authorization: Bearer <management API key> required');
    if (!timingSafeEqual(digest(match[1] as string), this.expected)) throw new ForbiddenException('invalid management API key');
    request[ACCESS] = { kind: 'management' };
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
