import { attribute, type AttributeDefinition } from './schema.types';

/**
 * Attributes every resource has (RFC 7643 §3.1). They belong to no schema, so `/Schemas` does not list
 * them, but filters, sorting, projection and PATCH resolve them like core attributes.
 */
export const idAttribute = attribute('id', 'string', 'Unique identifier of the resource, assigned by the service provider.', {
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
});

export const externalIdAttribute = attribute('externalId', 'string', 'Identifier of the resource as defined by the provisioning client.', {
  caseExact: true,
});

export const metaAttribute = attribute('meta', 'complex', 'Resource metadata.', {
  mutability: 'readOnly',
  subAttributes: [
    attribute('resourceType', 'string', 'Name of the resource type of the resource.', { caseExact: true, mutability: 'readOnly' }),
    attribute('created', 'dateTime', 'When the resource was added to the service provider.', { mutability: 'readOnly' }),
    attribute('lastModified', 'dateTime', 'When the resource was last modified.', { mutability: 'readOnly' }),
    attribute('location', 'reference', 'URI of the resource.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
    attribute('version', 'string', 'Version of the resource, a weak ETag.', { caseExact: true, mutability: 'readOnly' }),
  ],
});

/**
 * `schemas` is not an attribute of any schema, yet RFC 7644 §3.4.2.2 filters on it
 * (`schemas eq "urn:...:enterprise:2.0:User"`). URIs are matched case-insensitively: IdPs vary the case.
 */
export const schemasAttribute = attribute('schemas', 'reference', 'Schema URIs the resource conforms to.', {
  multiValued: true,
  mutability: 'readOnly',
  returned: 'always',
  referenceTypes: ['uri'],
});

export const commonAttributes: readonly AttributeDefinition[] = [idAttribute, externalIdAttribute, metaAttribute];
