import { ScimError } from '../errors/scim.error';
import { buildListResponse, type ListResponse } from '../list/list-response';
import { MAX_COUNT } from '../list/list-query';
import { defaultRegistry, type ResourceTypeModel, type SchemaRegistry } from '../schema/schema.registry';
import type { AttributeDefinition, SchemaDefinition } from '../schema/schema.types';
import type { JsonObject } from '../util/json.util';

/** The three discovery endpoints of RFC 7644 §4, built for the caller's base URL. */
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface DiscoveryOptions {
  /** The directory's SCIM base URL, e.g. `https://sync.example.com/directory/d1/scim/v2`. */
  readonly baseUrl: string;
  readonly registry?: SchemaRegistry;
}

export interface ServiceProviderConfigOptions extends DiscoveryOptions {
  readonly documentationUri?: string;
  /** Bulk as the ingress implements it; off unless it says otherwise. */
  readonly bulk?: { readonly supported: boolean; readonly maxOperations: number; readonly maxPayloadSize: number };
  /** Largest page a list returns (`maxCount` of `parseListQuery`). */
  readonly filterMaxResults?: number;
}

export function buildServiceProviderConfig(options: ServiceProviderConfigOptions): JsonObject {
  const base = trimSlash(options.baseUrl);
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(options.documentationUri !== undefined ? { documentationUri: options.documentationUri } : {}),
    patch: { supported: true },
    bulk: options.bulk ? { ...options.bulk } : { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: options.filterMaxResults ?? MAX_COUNT },
    // Passwords are never stored, so there is none to change.
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The directory bearer token shown in the SCIM configuration portal, sent as Authorization: Bearer <token>.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function buildResourceTypes(options: DiscoveryOptions): ListResponse {
  const resources = (options.registry ?? defaultRegistry).resourceTypes().map((type) => resourceTypeResource(type, options.baseUrl));
  return buildListResponse({ resources, totalResults: resources.length, startIndex: 1 });
}

export function buildResourceType(id: string, options: DiscoveryOptions): JsonObject {
  const type = (options.registry ?? defaultRegistry).resourceTypes().find((t) => t.id.toLowerCase() === id.toLowerCase());
  if (!type) throw ScimError.notFound(`no resource type ${id}`);
  return resourceTypeResource(type, options.baseUrl);
}

export function buildSchemas(options: DiscoveryOptions): ListResponse {
  const resources = (options.registry ?? defaultRegistry).schemaDefinitions.map((schema) => schemaResource(schema, options.baseUrl));
  return buildListResponse({ resources, totalResults: resources.length, startIndex: 1 });
}

export function buildSchema(id: string, options: DiscoveryOptions): JsonObject {
  const schema = (options.registry ?? defaultRegistry).schema(id);
  if (!schema) throw ScimError.notFound(`no schema ${id}`);
  return schemaResource(schema, options.baseUrl);
}

function resourceTypeResource(type: ResourceTypeModel, baseUrl: string): JsonObject {
  const { definition } = type;
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: definition.id,
    name: definition.name,
    endpoint: definition.endpoint,
    description: definition.description,
    schema: definition.schema,
    schemaExtensions: definition.schemaExtensions.map((ext) => ({ schema: ext.schema, required: ext.required })),
    meta: { resourceType: 'ResourceType', location: `${trimSlash(baseUrl)}/ResourceTypes/${encodeURIComponent(definition.id)}` },
  };
}

function schemaResource(schema: SchemaDefinition, baseUrl: string): JsonObject {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeResource),
    meta: { resourceType: 'Schema', location: `${trimSlash(baseUrl)}/Schemas/${schema.id}` },
  };
}

function attributeResource(attr: AttributeDefinition): JsonObject {
  return {
    name: attr.name,
    type: attr.type,
    multiValued: attr.multiValued,
    description: attr.description,
    required: attr.required,
    caseExact: attr.caseExact,
    mutability: attr.mutability,
    returned: attr.returned,
    uniqueness: attr.uniqueness,
    ...(attr.canonicalValues && attr.canonicalValues.length > 0 ? { canonicalValues: [...attr.canonicalValues] } : {}),
    ...(attr.referenceTypes ? { referenceTypes: [...attr.referenceTypes] } : {}),
    ...(attr.subAttributes ? { subAttributes: attr.subAttributes.map(attributeResource) } : {}),
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
