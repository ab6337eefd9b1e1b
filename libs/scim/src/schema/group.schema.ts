import { attribute, type SchemaDefinition } from './schema.types';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** Core Group, RFC 7643 §4.2 and §8.7.1. */
export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    // §4.2 calls displayName REQUIRED (the §8.7.1 listing says otherwise). Entra ID matches groups by
    // displayName and expects it unique, so uniqueness is "server" here where the RFC says "none".
    attribute('displayName', 'string', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    attribute('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        attribute('value', 'string', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        attribute('$ref', 'reference', 'The URI of the member resource.', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        attribute('type', 'string', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
        // Not in the §8.7.1 listing, but in every example and sent by Okta: kept so the portal can show it.
        attribute('display', 'string', 'A human-readable name of the member.'),
      ],
    }),
  ],
};
