import {
  buildListResponse,
  buildMeta,
  parseListQuery,
  parseSearchRequest,
  projectResource,
  ScimError,
  withMeta,
  type JsonObject,
  type ListQuery,
  type ListResponse,
} from '@scimbridge/scim';
import type { ResourceRow, ResourcesRepository, ResourceType } from '../persistence/resources.repository';
import type { ScimContext } from './scim-context';

type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/** SCIM reads, answered from the state written with the events: an IdP always reads its own writes. */
export class ScimReadsService {
  constructor(
    private readonly resources: ResourcesRepository,
    readonly maxPageSize: number,
  ) {}

  async get(ctx: ScimContext, type: ResourceType, id: string, params: QueryParams): Promise<{ resource: JsonObject; revision: number }> {
    const row = await this.resources.get(ctx.directoryId, type, id);
    if (!row) throw ScimError.notFound(`${type} ${id} not found`);
    const query = parseListQuery(params, { maxCount: this.maxPageSize });
    const resource = type === 'User' ? await this.withGroups(ctx, this.present(ctx, row)) : this.present(ctx, row);
    return { resource: projectResource(resource, { resourceType: type, attributes: query.attributes, excludedAttributes: query.excludedAttributes }), revision: row.revision };
  }

  list(ctx: ScimContext, type: ResourceType, params: QueryParams): Promise<ListResponse> {
    return this.run(ctx, type, parseListQuery(params, { maxCount: this.maxPageSize }));
  }

  search(ctx: ScimContext, type: ResourceType, body: unknown): Promise<ListResponse> {
    return this.run(ctx, type, parseSearchRequest(body, { maxCount: this.maxPageSize }));
  }

  /**
   * `POST /.search` at the root: users, then groups, paged over the two lists. A filter on an attribute
   * only one type has matches nothing of the other type.
   */
  async searchAll(ctx: ScimContext, body: unknown): Promise<ListResponse> {
    const query = parseSearchRequest(body, { maxCount: this.maxPageSize });
    const window = { ...query, startIndex: 1, count: query.startIndex - 1 + query.count };
    const parts: { resources: JsonObject[]; totalResults: number }[] = [];
    let lastError: unknown;
    let failures = 0;
    for (const type of ['User', 'Group'] as const) {
      try {
        const { rows, totalResults } = await this.resources.list(ctx.directoryId, type, window);
        parts.push({
          resources: rows.map((row) => projectResource(this.present(ctx, row), { resourceType: type, attributes: query.attributes, excludedAttributes: query.excludedAttributes })),
          totalResults,
        });
      } catch (error) {
        if (!(error instanceof ScimError) || error.scimType !== 'invalidFilter') throw error;
        lastError = error;
        failures += 1;
        parts.push({ resources: [], totalResults: 0 });
      }
    }
    if (failures === parts.length) throw lastError;
    const all = parts.flatMap((p) => p.resources);
    return buildListResponse({
      resources: all.slice(query.startIndex - 1, query.startIndex - 1 + query.count),
      totalResults: parts.reduce((n, p) => n + p.totalResults, 0),
      startIndex: query.startIndex,
    });
  }

  /** A User with its readOnly `groups` (RFC 7643 §4.1.2), as GET and write responses return it. */
  async withGroups(ctx: ScimContext, user: JsonObject): Promise<JsonObject> {
    const groups = await this.resources.groupsOfUser(ctx.directoryId, String(user['id']));
    if (groups.length === 0) return user;
    const { meta, ...rest } = user;
    return {
      ...rest,
      groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${ctx.baseUrl}/Groups/${encodeURIComponent(g.id)}`, type: 'direct' })),
      ...(meta === undefined ? {} : { meta }),
    };
  }

  /** The resource as the endpoint returns it: meta rebuilt for this base URL. */
  present(ctx: ScimContext, row: ResourceRow): JsonObject {
    return withMeta(
      row.resource,
      row.id,
      buildMeta({ resourceType: row.resourceType, id: row.id, baseUrl: ctx.baseUrl, created: row.createdAt, lastModified: row.updatedAt, version: row.revision }),
    );
  }

  private async run(ctx: ScimContext, type: ResourceType, query: ListQuery): Promise<ListResponse> {
    const { rows, totalResults } = await this.resources.list(ctx.directoryId, type, query);
    const resources = rows.map((row) =>
      projectResource(this.present(ctx, row), { resourceType: type, attributes: query.attributes, excludedAttributes: query.excludedAttributes }),
    );
    return buildListResponse({ resources, totalResults, startIndex: query.startIndex });
  }
}
