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
    // One list, users then groups; a page is a window into it, read per type with LIMIT/OFFSET — never
    // more rows than the page, however deep it is.
    const offset = query.startIndex - 1;
    const page: JsonObject[] = [];
    let totalResults = 0;
    let lastError: unknown;
    let failures = 0;
    for (const type of ['User', 'Group'] as const) {
      const window = { ...query, startIndex: Math.max(0, offset - totalResults) + 1, count: Math.max(0, query.count - page.length) };
      try {
        const { rows, totalResults: ofType } = await this.resources.list(ctx.directoryId, type, window);
        page.push(...rows.map((row) => projectResource(this.present(ctx, row), { resourceType: type, attributes: query.attributes, excludedAttributes: query.excludedAttributes })));
        totalResults += ofType;
      } catch (error) {
        // A filter on an attribute only one of the types has: that type contributes nothing.
        if (!(error instanceof ScimError) || error.scimType !== 'invalidFilter') throw error;
        lastError = error;
        failures += 1;
      }
    }
    if (failures === 2) throw lastError;
    return buildListResponse({ resources: page, totalResults, startIndex: query.startIndex });
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
