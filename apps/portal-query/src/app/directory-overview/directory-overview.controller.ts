import { Controller, Get, Param, ParseUUIDPipe, Query, Res, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { DirectoryAccessService } from '../access/directory-access.service';
import { PositionQueryDto, ReadYourWritesService, type HeaderSink, type Positioned } from '../read-model/read-your-writes.service';
import { DirectoryOverviewService, type DirectoryOverviewView } from './directory-overview.service';

/** The directory overview, and an organization's directories with theirs (the portal's landing page). */
@Controller('api/v1')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class DirectoryOverviewController {
  constructor(
    private readonly access: DirectoryAccessService,
    private readonly overviews: DirectoryOverviewService,
    private readonly position: ReadYourWritesService,
  ) {}

  @Get('directories/:id')
  directory(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PositionQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<DirectoryOverviewView>> {
    return this.position.respond(query, response, async () => this.overviews.overview(await this.access.requireDirectory(scope, id)));
  }

  // Not `…/directories`: the ingress serves that path (its directory list), and portal-web routes `/api` by path.
  @Get('organizations/:orgId/directory-overviews')
  organizationDirectories(
    @Access() scope: AccessScope,
    @Param('orgId', ParseUUIDPipe) orgId: string,
    @Query() query: PositionQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<{ directories: DirectoryOverviewView[] }>> {
    return this.position.respond(query, response, async () => {
      const rows = await this.access.directoriesOf(scope, orgId);
      return { directories: await Promise.all(rows.map((d) => this.overviews.overview(d))) };
    });
  }
}
