import { Body, Controller, Delete, Get, HttpCode, HttpException, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Res, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, SERVICE_CONFIG, sessionCookie, type AccessScope } from '@scimbridge/service-kit';
import type { FastifyReply } from 'fastify';
import { DirectoriesRepository } from '../persistence/directories.repository';
import type { scimIngressConfig } from '../scim-ingress.config';
import { CreatePortalLinkDto, OpenPortalSessionDto } from './portal-links.dto';
import { PortalLinkRefused, PortalLinksService, type PortalLinkView } from './portal-links.service';

const validation = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

/** Portal links: made by the app's backend (management key only — a portal session cannot make more). */
@Controller('api/v1/organizations/:orgId/portal-links')
@UseGuards(ManagementAccessGuard)
@UsePipes(validation)
export class PortalLinksController {
  constructor(private readonly links: PortalLinksService) {}

  /** → `{url, kind, expiresAt, …}`: open `url` (or load it in an iframe, for `embedded`) to start a session for this organization. */
  @Post()
  create(@Param('orgId', ParseUUIDPipe) orgId: string, @Body() body: CreatePortalLinkDto): Promise<PortalLinkView & { url: string }> {
    return this.links.create(orgId, { kind: body.kind ?? 'shareable', ...(body.expiresInDays !== undefined ? { expiresInDays: body.expiresInDays } : {}), ...(body.sessionMinutes !== undefined ? { sessionMinutes: body.sessionMinutes } : {}) }, new Date());
  }

  @Get()
  async list(@Param('orgId', ParseUUIDPipe) orgId: string): Promise<{ links: PortalLinkView[] }> {
    return { links: await this.links.list(orgId) };
  }

  /** Revoked at once: it opens no new session (sessions already open run until they expire). */
  @Delete(':linkId')
  @HttpCode(204)
  async revoke(@Param('orgId', ParseUUIDPipe) orgId: string, @Param('linkId', ParseUUIDPipe) linkId: string): Promise<void> {
    await this.links.revoke(orgId, linkId, new Date());
  }
}

/** The portal's browser: exchanges a link for a session cookie, asks who it is, ends the session. */
@Controller('api/v1/portal-sessions')
@UsePipes(validation)
export class PortalSessionsController {
  constructor(
    private readonly links: PortalLinksService,
    private readonly directories: DirectoriesRepository,
    @Inject(SERVICE_CONFIG) private readonly config: scimIngressConfig,
  ) {}

  /** No credential but the link token itself. 401 with `reason` (unknown / expired / revoked / used) otherwise. */
  @Post()
  async open(@Body() body: OpenPortalSessionDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ organization: { id: string; name: string }; expiresAt: string }> {
    try {
      const now = new Date();
      const { session, claims, kind, organization } = await this.links.open(body.token, now);
      reply.header('set-cookie', sessionCookie(session, claims.exp - Math.floor(now.getTime() / 1000), this.secureCookies(), { crossSite: kind === 'embedded' }));
      reply.header('cache-control', 'no-store');
      return { organization, expiresAt: new Date(claims.exp * 1000).toISOString() };
    } catch (error) {
      if (error instanceof PortalLinkRefused) {
        throw new HttpException({ statusCode: 401, error: 'Unauthorized', reason: error.reason, message: error.message }, HttpStatus.UNAUTHORIZED);
      }
      throw error;
    }
  }

  @Get('current')
  @UseGuards(ManagementAccessGuard)
  @AllowPortalSession()
  async current(@Access() scope: AccessScope): Promise<{ kind: 'management' } | { kind: 'organization'; organization: { id: string; name: string }; expiresAt: string | null }> {
    if (scope.kind === 'management') return { kind: 'management' };
    const organization = await this.directories.organization(scope.organizationId);
    if (!organization) throw new HttpException({ statusCode: 401, error: 'Unauthorized', reason: 'unknown', message: 'the organization of this session no longer exists' }, HttpStatus.UNAUTHORIZED);
    return { kind: 'organization', organization: { id: organization.id, name: organization.name }, expiresAt: scope.expiresAt ?? null };
  }

  /** Signs out: the cookie is removed (the session token itself expires on its own). */
  @Delete('current')
  @HttpCode(204)
  end(@Res({ passthrough: true }) reply: FastifyReply): void {
    reply.header('set-cookie', sessionCookie('', 0, this.secureCookies()));
  }

  private secureCookies(): boolean {
    return this.config.PORTAL_URL.startsWith('https:');
  }
}
