import { Controller, Get, Header, Inject, Query, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, PG_POOL, type AccessScope } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { OrganizationsService } from '../organizations/organizations.service';
import { EventsQueryDto } from '../endpoints/webhook-endpoints.dto';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * `GET /api/v1/events?directoryId=&after=&limit=`: every event of the public topics as this service
 * stored them, in that order (within a directory and topic, Kafka's order), for catching up after
 * downtime or reconciling. Follow `nextCursor` until `hasMore` is false; keep the last cursor and ask
 * again later for what came since. Without directoryId: all directories of the caller (the management
 * key: all; a portal session: its organization's).
 */
@Controller('api/v1/events')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class EventsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get()
  @Header('content-type', 'application/json; charset=utf-8')
  async list(@Access() scope: AccessScope, @Query() query: EventsQueryDto): Promise<string> {
    const after = decodeCursor('ev', query.after, 'after') ?? '0';
    const limit = query.limit ?? 100;
    if (query.directoryId !== undefined) await this.organizations.requireDirectory(scope, query.directoryId);
    const organizationId = scope.kind === 'organization' ? scope.organizationId : null;
    const { rows } = await this.pool.query<{ position: string; body: string }>({
      name: 'events_api_page',
      text: `SELECT position::text, body FROM events
              WHERE position > $1 AND ($2::text IS NULL OR directory_id = $2) AND ($3::text IS NULL OR organization_id = $3)
              ORDER BY position LIMIT $4`,
      values: [after, query.directoryId ?? null, organizationId, limit + 1],
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    // The bodies are the envelopes exactly as published: spliced in, not parsed and re-serialised.
    const nextCursor = encodeCursor('ev', last ? last.position : after);
    return `{"events":[${page.map((r) => r.body).join(',')}],"nextCursor":${JSON.stringify(nextCursor)},"hasMore":${rows.length > limit}}`;
  }
}
