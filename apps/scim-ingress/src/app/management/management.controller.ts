import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  ConflictException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, mayAccessOrganization, SERVICE_CONFIG, type AccessScope } from '@scimbridge/service-kit';
import { DirectoryRejection } from '../domain/directory.decider';
import type { DirectoryRow, TokenRow } from '../persistence/directories.repository';
import { DirectoriesRepository } from '../persistence/directories.repository';
import { RequestLog, type RequestLogRecord } from '../persistence/request-log';
import type { scimIngressConfig } from '../scim-ingress.config';
import { DirectoryService } from './directory.service';
import { DirectoryDeletions } from '../jobs/directory-deletions';
import { DirectoryResyncs } from '../jobs/directory-resyncs';
import { ResyncsRepository, type ResyncRow } from '../persistence/resyncs.repository';
import { CreateDirectoryDto, CreateOrganizationDto, IssueTokenDto, RequestLogQueryDto } from './management.dto';

interface TokenView {
  id: string;
  lastFour: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface DirectoryView {
  id: string;
  organizationId: string;
  provider: string;
  name: string | null;
  enabled: boolean;
  endpointUrl: string;
  createdAt: string;
}

/**
 * Management API of the ingress (`/api/v1`): organizations, directories, their tokens, enable/disable,
 * and the SCIM request log. For the app's own backend and for `npm start`'s demo; never for IdPs. The
 * routes marked `@AllowPortalSession()` also serve the portal, for its session's organization only
 * (anything else is 404, as if it did not exist).
 */
@Controller('api/v1')
@UseGuards(ManagementAccessGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class ManagementController {
  constructor(
    private readonly directoriesService: DirectoryService,
    private readonly deletions: DirectoryDeletions,
    private readonly resyncJobs: DirectoryResyncs,
    private readonly resyncs: ResyncsRepository,
    private readonly directories: DirectoriesRepository,
    private readonly requestLog: RequestLog,
    @Inject(SERVICE_CONFIG) private readonly config: scimIngressConfig,
  ) {}

  @Post('organizations')
  async createOrganization(@Body() body: CreateOrganizationDto): Promise<{ id: string; name: string; createdAt: string }> {
    const org = await this.directoriesService.createOrganization(body.name);
    return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString() };
  }

  @Get('organizations/:orgId')
  @AllowPortalSession()
  async organization(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string): Promise<{ id: string; name: string; createdAt: string }> {
    const org = mayAccessOrganization(scope, orgId) ? await this.directories.organization(orgId) : undefined;
    if (!org) throw new NotFoundException('organization not found');
    return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString() };
  }

  @Get('organizations/:orgId/directories')
  @AllowPortalSession()
  async listDirectories(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string): Promise<{ directories: DirectoryView[] }> {
    if (!mayAccessOrganization(scope, orgId) || !(await this.directories.organization(orgId))) throw new NotFoundException('organization not found');
    return { directories: (await this.directories.directoriesOf(orgId)).map((d) => this.view(d)) };
  }

  /** The bearer token is in this response only. */
  @Post('organizations/:orgId/directories')
  @AllowPortalSession()
  async createDirectory(
    @Access() scope: AccessScope,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Body() body: CreateDirectoryDto,
  ): Promise<DirectoryView & { bearerToken: string; token: TokenView }> {
    if (!mayAccessOrganization(scope, orgId)) throw new NotFoundException('organization not found');
    const { directory, issued } = await rejections(() => this.directoriesService.createDirectory(orgId, body.provider, body.name ?? null, body.tokenExpiresInDays));
    return { ...this.view(directory), bearerToken: issued.bearerToken, token: tokenView(issued.token) };
  }

  @Get('directories/:id/connection')
  @AllowPortalSession()
  async connection(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<DirectoryView & { tokens: TokenView[] }> {
    const directory = await this.directoryFor(scope, id);
    return { ...this.view(directory), tokens: (await this.directories.tokens(id)).map(tokenView) };
  }

  /** Rotation: a new token, valid at once next to the old ones until those are revoked. */
  @Post('directories/:id/tokens')
  @AllowPortalSession()
  async issueToken(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Body() body: IssueTokenDto): Promise<TokenView & { bearerToken: string }> {
    await this.directoryFor(scope, id);
    const issued = await rejections(() => this.directoriesService.issueToken(id, body.expiresInDays));
    return { ...tokenView(issued.token), bearerToken: issued.bearerToken };
  }

  @Get('directories/:id/tokens')
  @AllowPortalSession()
  async tokens(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<{ tokens: TokenView[] }> {
    await this.directoryFor(scope, id);
    return { tokens: (await this.directories.tokens(id)).map(tokenView) };
  }

  @Delete('directories/:id/tokens/:tokenId')
  @HttpCode(204)
  @AllowPortalSession()
  async revokeToken(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Param('tokenId', ParseUUIDPipe) tokenId: string): Promise<void> {
    await this.directoryFor(scope, id);
    await rejections(() => this.directoriesService.revokeToken(id, tokenId));
  }

  @Post('directories/:id/enable')
  @HttpCode(200)
  @AllowPortalSession()
  async enable(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<DirectoryView> {
    await this.directoryFor(scope, id);
    return this.view(await rejections(() => this.directoriesService.setEnabled(id, true)));
  }

  @Post('directories/:id/disable')
  @HttpCode(200)
  @AllowPortalSession()
  async disable(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<DirectoryView> {
    await this.directoryFor(scope, id);
    return this.view(await rejections(() => this.directoriesService.setEnabled(id, false)));
  }

  /**
   * Deletes the directory. At once: its tokens stop working and it is 404 here and in the portal. In the
   * background (202): each group gets GroupDeleted and each user UserDeprovisioned — so the app removes
   * them and role-assignment revokes their roles — then DirectoryDeleted, the directory's last event.
   * Not undoable; the IdP's next request gets 401.
   */
  @Delete('directories/:id')
  @HttpCode(202)
  @AllowPortalSession()
  async deleteDirectory(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<{ id: string; status: 'deleting' }> {
    await this.directoryFor(scope, id);
    await rejections(() => this.directoriesService.requestDeletion(id));
    void this.deletions.run(id);
    return { id, status: 'deleting' };
  }

  /**
   * Re-sends the current state of every group and user on scim.directory.events (GroupResynced,
   * UserResynced between DirectoryResyncStarted and DirectoryResyncCompleted) so downstream apps can
   * repair drift. Runs in the background (202); one at a time per directory: asking again while one
   * runs returns that one.
   */
  @Post('directories/:id/resync')
  @HttpCode(202)
  @AllowPortalSession()
  async resync(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<ResyncView & { alreadyRunning: boolean }> {
    const directory = await this.directoryFor(scope, id);
    const { resync, started } = await rejections(() => this.resyncJobs.request(id, directory.organizationId));
    return { ...resyncView(resync), alreadyRunning: !started };
  }

  @Get('directories/:id/resyncs/:resyncId')
  @AllowPortalSession()
  async resyncStatus(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Param('resyncId', ParseUUIDPipe) resyncId: string): Promise<ResyncView> {
    await this.directoryFor(scope, id);
    const resync = await this.resyncs.get(resyncId);
    if (!resync || resync.directoryId !== id) throw new NotFoundException('resync not found');
    return resyncView(resync);
  }

  /** The directory's SCIM requests, newest first: method, path, status, latency, events, redacted body. */
  @Get('directories/:id/scim-requests')
  @AllowPortalSession()
  async scimRequests(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Query() query: RequestLogQueryDto): Promise<{ requests: RequestLogRecord[]; next: string | null }> {
    await this.directoryFor(scope, id);
    const limit = query.limit ?? 100;
    const requests = await this.requestLog.list(id, { limit, ...(query.before ? { before: query.before } : {}) });
    return { requests, next: requests.length === limit ? (requests[requests.length - 1]?.id ?? null) : null };
  }

  /** The directory, if the caller may see it (404 alike for unknown and foreign ones). */
  private async directoryFor(scope: AccessScope, id: string): Promise<DirectoryRow> {
    const directory = await rejections(() => this.directoriesService.requireDirectory(id));
    if (!mayAccessOrganization(scope, directory.organizationId)) throw new NotFoundException('directory not found');
    return directory;
  }

  private view(d: DirectoryRow): DirectoryView {
    return {
      id: d.id,
      organizationId: d.organizationId,
      provider: d.provider,
      name: d.name,
      enabled: d.enabled,
      endpointUrl: `${this.config.PUBLIC_URL.replace(/\/+$/, '')}/directory/${d.id}/scim/v2`,
      createdAt: d.createdAt.toISOString(),
    };
  }
}

interface ResyncView {
  resyncId: string;
  directoryId: string;
  status: 'running' | 'completed' | 'cancelled';
  requestedAt: string;
  completedAt: string | null;
  /** Users and groups when it started, and how many have been sent so far. */
  userCount: number;
  groupCount: number;
  usersSent: number;
  groupsSent: number;
}

function resyncView(r: ResyncRow): ResyncView {
  return {
    resyncId: r.resyncId,
    directoryId: r.directoryId,
    status: r.outcome ?? 'running',
    requestedAt: r.requestedAt.toISOString(),
    completedAt: r.completedAt?.toISOString() ?? null,
    userCount: r.userCount,
    groupCount: r.groupCount,
    usersSent: r.usersSent,
    groupsSent: r.groupsSent,
  };
}

function tokenView(t: TokenRow): TokenView {
  return {
    id: t.id,
    lastFour: t.lastFour,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  };
}

async function rejections<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DirectoryRejection) {
      throw error.reason === 'not_found' ? new NotFoundException(error.message) : new ConflictException(error.message);
    }
    throw error;
  }
}
