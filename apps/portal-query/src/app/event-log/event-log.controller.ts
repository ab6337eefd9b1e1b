import { Controller, Get, Param, ParseUUIDPipe, Query, Res, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { DirectoryAccessService } from '../access/directory-access.service';
import { ReadYourWritesService, type HeaderSink, type Positioned } from '../read-model/read-your-writes.service';
import { EventLogQueryDto } from './event-log.dto';
import { EventLogQuery, type EventLogPage } from './event-log.query';

/** The portal's events tab. */
@Controller('api/v1/directories/:id/events')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class EventLogController {
  constructor(
    private readonly access: DirectoryAccessService,
    private readonly events: EventLogQuery,
    private readonly position: ReadYourWritesService,
  ) {}

  @Get()
  list(
    @Access() scope: AccessScope,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: EventLogQueryDto,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<Positioned<EventLogPage>> {
    return this.position.respond(query, response, async () => {
      await this.access.requireDirectory(scope, id);
      return this.events.list(id, query);
    });
  }
}
