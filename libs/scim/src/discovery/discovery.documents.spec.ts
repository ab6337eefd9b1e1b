import { ScimError } from '../errors/scim.error';
import { buildResourceType, buildResourceTypes, buildSchema, buildSchemas, buildServiceProviderConfig } from './discovery.documents';

const baseUrl = 'https://sync.example.com/directory/d1/scim/v2';

describe('discovery documents', () => {
  it('ServiceProviderConfig announces patch, filter, sort and etag, bulk off, bearer tokens', () => {
    const config = buildServiceProviderConfig({ baseUrl, filterMaxResults: 200 });
    expect(config).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
    });
  });

  it('ResourceTypes lists User with the optional enterprise extension, and Group', () => {
    const list = buildResourceTypes({ baseUrl });
    expect(list.totalResults).toBe(2);
    expect(list.Resources[0]).toMatchObject({
      id: 'User',
      endpoint: '/Users',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }],
      meta: { location: `${baseUrl}/ResourceTypes/User` },
    });
    expect(buildResourceType('group', { baseUrl })).toMatchObject({ id: 'Group', endpoint: '/Groups' });
  });

  it('Schemas describe every attribute with its characteristics', () => {
    const list = buildSchemas({ baseUrl });
    expect(list.Resources.map((s) => s['id'])).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
    const user = buildSchema('urn:ietf:params:scim:schemas:core:2.0:User', { baseUrl });
    const attributes = user['attributes'] as Record<string, unknown>[];
    expect(attributes.find((a) => a['name'] === 'userName')).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expect(attributes.find((a) => a['name'] === 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(attributes.map((a) => a['name'])).toEqual(
      expect.arrayContaining(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates']),
    );
  });

  it('answers an unknown schema or resource type with 404', () => {
    expect(() => buildSchema('urn:nope', { baseUrl })).toThrow(ScimError);
    expect(() => buildResourceType('Printers', { baseUrl })).toThrow(expect.objectContaining({ status: 404 }));
  });
});
