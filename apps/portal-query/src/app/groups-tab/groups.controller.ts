import { Controller, Get, Param, ParseUUIDPipe, Query, Res, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { DirectoryAccessService } from '../access/directory-access.service';
import type { Page } from '../common/keyset-cursor';
import { ReadYourWritesService, PositionQueryDto, type HeaderSink, type Positioned } from '../read-model/read-your-writes.service';
import { MembersQueryDto } from '../users-tab/users.dto';
import { UsersQuery, type UserSummaryView } from '../users-tab/users.query';
import { GroupsQueryDto } from './groups.dto';
import { GroupsQuery, type GroupView } from './groups.query';

/** The portal's Groups tab and a group's members. */
@Controller('api/v1/directories/:id/groups')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class GroupsController {
  constructor(
    private readonly access: DirectoryAccessService,
    private readonly groups: GroupsQuery,
    private readonly users: UsersQuery,
    private readonly position: ReadYourWritesService,
  ) {}

  @Get()
  list(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: GroupsQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<Page<GroupView>>> {
    return this.position.respond(query, response, async () => this.groups.list(await this.access.requireDirectory(scope, id), query));
  }

  @Get(':groupId')
  get(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('groupId') groupId: string,
    @Query() query: PositionQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<GroupView>> {
    return this.position.respond(query, response, async () => {
      await this.access.requireDirectory(scope, id);
      return this.groups.get(id, groupId);
    });
  }

  @Get(':groupId/members')
  members(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('groupId') groupId: string,
    @Query() query: MembersQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<Page<UserSummaryView> & { group: GroupView }>> {
    return this.position.respond(query, response, async () => {
      const directory = await this.access.requireDirectory(scope, id);
      const group = await this.groups.get(id, groupId);
      return { group, ...(await this.users.list(directory, { ...query, groupId })) };
    });
  }
}
