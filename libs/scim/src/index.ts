// SCIM 2.0 service-provider protocol (RFC 7643 / RFC 7644): framework-free and pure.

// Errors: the one mapping from failures to SCIM Error responses.
export { SCIM_ERROR_SCHEMA, ScimError, isScimError, toScimErrorBody, toScimErrorResponse } from './errors/scim.error';
export type { ScimErrorBody, ScimErrorResponse, ScimErrorType } from './errors/scim.error';

// Schemas, resource types, validation.
export type {
  AttributeDefinition,
  AttributeType,
  Mutability,
  ResourceTypeDefinition,
  Returned,
  SchemaDefinition,
  SchemaExtensionReference,
  Uniqueness,
} from './schema/schema.types';
export { attribute, multiValuedSubAttributes } from './schema/schema.types';
export { USER_SCHEMA, userSchema } from './schema/user.schema';
export { ENTERPRISE_USER_SCHEMA, enterpriseUserSchema } from './schema/enterprise-user.schema';
export { GROUP_SCHEMA, groupSchema } from './schema/group.schema';
export { groupResourceType, userResourceType } from './schema/resource-types';
export { ResourceTypeModel, SchemaRegistry, defaultRegistry, resourceTypeModel } from './schema/schema.registry';
export type { ResolvedPath, ResourceTypeOptions } from './schema/schema.registry';
export { validateResource } from './schema/resource.validator';
export type { ScimResource, ValidateResourceOptions, ValidationResult } from './schema/resource.validator';
export { uniquenessKeys } from './schema/uniqueness';

// Filters: parse, print, evaluate in memory, compile to SQL.
export type {
  AttributePath,
  ComparisonFilter,
  ComparisonOperator,
  FilterNode,
  FilterValue,
  LogicalFilter,
  LogicalOperator,
  NotFilter,
  PatchPath,
  PresentFilter,
  ValuePathFilter,
} from './filter/filter.ast';
export { MAX_FILTER_LENGTH, parseAttributePath, parseFilter, parsePatchPath } from './filter/filter.parser';
export { printAttributePath, printFilter, printPatchPath } from './filter/filter.printer';
export { compileFilterPredicate, matchesFilter } from './filter/filter.evaluator';
export type { ResourcePredicate } from './filter/filter.evaluator';
export { compileFilter } from './filter/filter.sql';
export type { SqlCompileOptions, SqlFragment } from './filter/filter.sql';

// Lists: query parameters, sorting and paging (SQL and in memory), ListResponse.
export { DEFAULT_COUNT, MAX_COUNT, SEARCH_REQUEST_SCHEMA, parseListQuery, parseSearchRequest } from './list/list-query';
export type { ListQuery, ListQueryLimits, SortOrder } from './list/list-query';
export { compileListQuery, compileOrderBy } from './list/list-query.sql';
export type { CompiledListQuery } from './list/list-query.sql';
export { paginate, sortResources } from './list/sort.evaluator';
export { LIST_RESPONSE_SCHEMA, buildListResponse } from './list/list-response';
export type { ListResponse } from './list/list-response';

// PATCH.
export { PATCH_OP_SCHEMA, parsePatchRequest } from './patch/patch.request';
export type { PatchOperation, PatchOperationName } from './patch/patch.request';
export { applyPatch, applyPatchRequest } from './patch/patch.engine';
export type { ApplyPatchOptions, PatchResult } from './patch/patch.engine';

// Outgoing resources.
export { projectResource } from './projection/attribute.projection';
export type { ProjectionOptions } from './projection/attribute.projection';
export { assertIfMatch, buildMeta, formatETag, ifMatchSatisfied, parseETag, resourceLocation, withMeta } from './meta/meta.builder';
export type { MetaInput, ScimMeta } from './meta/meta.builder';
export {
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  buildResourceType,
  buildResourceTypes,
  buildSchema,
  buildSchemas,
  buildServiceProviderConfig,
} from './discovery/discovery.documents';
export type { DiscoveryOptions, ServiceProviderConfigOptions } from './discovery/discovery.documents';

// Provider normalisers.
export { PROVIDERS, normaliserWith } from './providers/provider.types';
export type { ProviderId, ProviderNormaliser, Quirk } from './providers/provider.types';
export { normalisePatch, normaliseResource, providerNormaliser } from './providers/provider.registry';

export type { JsonObject, JsonPrimitive, JsonValue } from './util/json.util';
