import { All, Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import {
  buildResourceType,
  buildResourceTypes,
  buildSchema,
  buildSchemas,
  buildServiceProviderConfig,
  formatETag,
  ScimError,
  type JsonObject,
} from '@scimbridge/scim';
import { responseType, ScimErrorWithHeaders, UNKNOWN_ENDPOINT } from '../http/content-negotiation';
import { recordOutcome } from '../http/scim-gateway';
import type { ResourceType } from '../persistence/resources.repository';
import type { ScimContext, WriteOutcome } from './scim-context';
import { ScimReadsService } from './scim-reads.service';
import { ScimWritesService } from './scim-writes.service';

type QueryParams = Record<string, string | string[] | undefined>;

/** Resource endpoint names as they appear in paths (matched case-insensitively by Express). */
const TYPES: Record<string, ResourceType> = { users: 'User', groups: 'Group' };

/**
 * SCIM 2.0 endpoints under `/directory/{directoryId}/scim/v2` (ScimGateway has authenticated the request
 * and parsed the body). Thin: each route hands the request to the reads/writes services and shapes the
 * HTTP answer (status, Location, ETag, media type).
 */
@Controller('directory/:directoryId/scim/v2')
export class ScimController {
  constructor(
    private readonly reads: ScimReadsService,
    private readonly writes: ScimWritesService,
  ) {}

  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Req() req: Request, @Res({ passthrough: true }) res: Response): JsonObject {
    const ctx = contextOf(req);
    return this.send(req, res, buildServiceProviderConfig({ baseUrl: ctx.baseUrl, filterMaxResults: this.reads.maxPageSize }));
  }

  @Get('ResourceTypes')
  resourceTypes(@Req() req: Request, @Res({ passthrough: true }) res: Response): JsonObject {
    return this.send(req, res, buildResourceTypes({ baseUrl: contextOf(req).baseUrl }) as unknown as JsonObject);
  }

  @Get('ResourceTypes/:id')
  resourceType(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): JsonObject {
    return this.send(req, res, buildResourceType(id, { baseUrl: contextOf(req).baseUrl }));
  }

  @Get('Schemas')
  schemas(@Req() req: Request, @Res({ passthrough: true }) res: Response): JsonObject {
    return this.send(req, res, buildSchemas({ baseUrl: contextOf(req).baseUrl }) as unknown as JsonObject);
  }

  @Get('Schemas/:id')
  schema(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): JsonObject {
    return this.send(req, res, buildSchema(id, { baseUrl: contextOf(req).baseUrl }));
  }

  /** Root-level search (RFC 7644 §3.4.3): users, then groups. */
  @Post('.search')
  @HttpCode(200)
  async searchAll(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() body: unknown): Promise<JsonObject> {
    return this.send(req, res, (await this.reads.searchAll(contextOf(req), body)) as unknown as JsonObject);
  }

  @Get(':type')
  async list(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Query() query: QueryParams): Promise<JsonObject> {
    return this.send(req, res, (await this.reads.list(contextOf(req), typeOf(type), query)) as unknown as JsonObject);
  }

  @Post(':type/.search')
  @HttpCode(200)
  async search(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Body() body: unknown): Promise<JsonObject> {
    return this.send(req, res, (await this.reads.search(contextOf(req), typeOf(type), body)) as unknown as JsonObject);
  }

  @Get(':type/:id')
  async get(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Param('id') id: string, @Query() query: QueryParams): Promise<JsonObject> {
    const { resource, revision } = await this.reads.get(contextOf(req), typeOf(type), id, query);
    res.header('ETag', formatETag(revision));
    return this.send(req, res, resource);
  }

  @Post(':type')
  async create(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Body() body: unknown): Promise<JsonObject> {
    const ctx = contextOf(req);
    const outcome = typeOf(type) === 'User' ? await this.writes.createUser(ctx, body) : await this.writes.createGroup(ctx, body);
    res.code(201);
    return this.respondWith(req, res, outcome, typeOf(type));
  }

  @Put(':type/:id')
  async replace(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Param('id') id: string, @Body() body: unknown, @Headers('if-match') ifMatch?: string): Promise<JsonObject> {
    const ctx = contextOf(req);
    const outcome = typeOf(type) === 'User' ? await this.writes.replaceUser(ctx, id, body, ifMatch) : await this.writes.replaceGroup(ctx, id, body, ifMatch);
    return this.respondWith(req, res, outcome, typeOf(type));
  }

  @Patch(':type/:id')
  async patch(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('type') type: string, @Param('id') id: string, @Body() body: unknown, @Headers('if-match') ifMatch?: string): Promise<JsonObject> {
    const ctx = contextOf(req);
    const outcome = typeOf(type) === 'User' ? await this.writes.patchUser(ctx, id, body, ifMatch) : await this.writes.patchGroup(ctx, id, body, ifMatch);
    return this.respondWith(req, res, outcome, typeOf(type));
  }

  @Delete(':type/:id')
  @HttpCode(204)
  async remove(@Req() req: Request, @Param('type') type: string, @Param('id') id: string, @Headers('if-match') ifMatch?: string): Promise<void> {
    const ctx = contextOf(req);
    const outcome = typeOf(type) === 'User' ? await this.writes.deleteUser(ctx, id, ifMatch) : await this.writes.deleteGroup(ctx, id, ifMatch);
    recordOutcome(req, outcome);
  }

  @All('*')
  unknown(@Req() req: Request): never {
    const path = req.scimState?.subPath ?? '';
    throw readOnlyDiscovery(path.split('/')[1] ?? '') ?? ScimError.notFound(UNKNOWN_ENDPOINT);
  }

  private async respondWith(req: Request, res: Response, outcome: WriteOutcome, type: ResourceType): Promise<JsonObject> {
    recordOutcome(req, outcome);
    const stored = outcome.resource as JsonObject;
    // The whole resource, as GET returns it (RFC 7644 §3.5.1): a user's groups included.
    // A user just created is in no group yet: no lookup for it.
    const resource = type === 'User' && res.statusCode !== 201 ? await this.reads.withGroups(contextOf(req), stored) : stored;
    const meta = resource['meta'] as { version?: string; location?: string } | undefined;
    if (meta?.version) res.header('ETag', meta.version);
    if (res.statusCode === 201 && meta?.location) res.header('Location', meta.location);
    return this.send(req, res, resource);
  }

  private send(req: Request, res: Response, body: JsonObject): JsonObject {
    res.type(`${responseType(req)}; charset=utf-8`);
    return body;
  }
}

function contextOf(req: Request): ScimContext {
  const context = req.scimState?.context;
  if (!context) throw new Error('SCIM request reached a controller without passing the gateway');
  return context;
}

function typeOf(segment: string): ResourceType {
  const type = TYPES[segment.toLowerCase()];
  if (!type) throw readOnlyDiscovery(segment) ?? ScimError.notFound(`no such SCIM endpoint /${segment}`);
  return type;
}

const DISCOVERY = new Set(['serviceproviderconfig', 'resourcetypes', 'schemas']);

/**
 * Discovery documents are read-only (RFC 7644 §4): a write to one is a 405 with `Allow`. Writes reach
 * the resource routes (`:type`, `:type/:id`) or the catch-all, which is where they are told apart.
 */
function readOnlyDiscovery(segment: string): ScimError | undefined {
  if (!DISCOVERY.has(segment.toLowerCase())) return undefined;
  return new ScimErrorWithHeaders(405, undefined, 'discovery endpoints are read-only: use GET', { Allow: 'GET, HEAD' });
}
