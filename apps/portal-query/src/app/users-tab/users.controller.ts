import { Controller, Get, Param, ParseUUIDPipe, Query, Res, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { DirectoryAccessService } from '../access/directory-access.service';
import type { Page } from '../common/keyset-cursor';
import { PositionQueryDto, ReadYourWritesService, type HeaderSink, type Positioned } from '../read-model/read-your-writes.service';
import { GroupsQuery } from '../groups-tab/groups.query';
import { UsersQueryDto } from './users.dto';
import { UsersQuery, type UserDetailView, type UserSummaryView } from './users.query';

/** The portal's Users tab. */
@Controller('api/v1/directories/:id/users')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class UsersController {
  constructor(
    private readonly access: DirectoryAccessService,
    private readonly users: UsersQuery,
    private readonly groups: GroupsQuery,
    private readonly position: ReadYourWritesService,
  ) {}

  @Get()
  list(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: UsersQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<Page<UserSummaryView>>> {
    return this.position.respond(query, response, async () => {
      const directory = await this.access.requireDirectory(scope, id);
      // Filtering by a group the directory does not have is a 404, not an empty page.
      if (query.groupId !== undefined) await this.groups.get(id, query.groupId);
      return this.users.list(directory, query);
    });
  }

  @Get(':userId')
  get(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('userId') userId: string,
    @Query() query: PositionQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<UserDetailView>> {
    return this.position.respond(query, response, async () => {
      await this.access.requireDirectory(scope, id);
      return this.users.get(id, userId);
    });
  }
}
