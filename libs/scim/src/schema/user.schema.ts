import { attribute, multiValuedSubAttributes, type SchemaDefinition } from './schema.types';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** Core User, RFC 7643 §4.1 and the schema representation in §8.7.1. */
export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'string', 'Unique identifier for the User, used to authenticate; case-insensitive.', {
      required: true,
      uniqueness: 'server',
    }),
    attribute('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        attribute('formatted', 'string', 'The full name, formatted for display.'),
        attribute('familyName', 'string', 'The family name of the User.'),
        attribute('givenName', 'string', 'The given name of the User.'),
        attribute('middleName', 'string', 'The middle name(s) of the User.'),
        attribute('honorificPrefix', 'string', 'The honorific prefix(es) of the User.'),
        attribute('honorificSuffix', 'string', 'The honorific suffix(es) of the User.'),
      ],
    }),
    attribute('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    attribute('nickName', 'string', 'The casual way to address the user.'),
    attribute('profileUrl', 'reference', "A fully qualified URL pointing to the User's online profile.", {
      referenceTypes: ['external'],
    }),
    attribute('title', 'string', "The user's title, such as 'Vice President'."),
    attribute('userType', 'string', 'Used to identify the relationship between the organization and the user.'),
    attribute('preferredLanguage', 'string', "The User's preferred written or spoken language."),
    attribute('locale', 'string', "The User's default location for localisation."),
    attribute('timezone', 'string', "The User's time zone in the 'Olson' time zone database format."),
    attribute('active', 'boolean', "The User's administrative status."),
    attribute('password', 'string', "The User's cleartext password; never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    attribute('emails', 'complex', 'Email addresses for the user.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('string', ['work', 'home', 'other'], 'email address'),
    }),
    attribute('phoneNumbers', 'complex', 'Phone numbers for the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('string', ['work', 'home', 'mobile', 'fax', 'pager', 'other'], 'phone number'),
    }),
    attribute('ims', 'complex', 'Instant messaging addresses for the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('string', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'], 'instant messaging address'),
    }),
    attribute('photos', 'complex', 'URLs of photos of the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('reference', ['photo', 'thumbnail'], 'photo URL', {
        referenceTypes: ['external'],
      }),
    }),
    attribute('addresses', 'complex', 'A physical mailing address for this User.', {
      multiValued: true,
      subAttributes: [
        attribute('formatted', 'string', 'The full mailing address, formatted for display.'),
        attribute('streetAddress', 'string', 'The full street address component.'),
        attribute('locality', 'string', 'The city or locality component.'),
        attribute('region', 'string', 'The state or region component.'),
        attribute('postalCode', 'string', 'The zip code or postal code component.'),
        attribute('country', 'string', 'The country name component.'),
        attribute('type', 'string', "A label indicating the address's function.", { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'boolean', 'Whether this is the primary address; at most one value may be primary.'),
      ],
    }),
    attribute('groups', 'complex', 'Groups the user belongs to, directly or indirectly; maintained by the service provider.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        attribute('value', 'string', 'The identifier of the group.', { mutability: 'readOnly' }),
        attribute('$ref', 'reference', 'The URI of the corresponding Group resource.', {
          mutability: 'readOnly',
          referenceTypes: ['User', 'Group'],
        }),
        attribute('display', 'string', 'A human-readable name of the group.', { mutability: 'readOnly' }),
        attribute('type', 'string', "How the membership was derived: 'direct' or 'indirect'.", {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
    }),
    attribute('entitlements', 'complex', 'A list of entitlements for the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('string', [], 'entitlement'),
    }),
    attribute('roles', 'complex', 'A list of roles for the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('string', [], 'role'),
    }),
    attribute('x509Certificates', 'complex', 'A list of certificates issued to the User.', {
      multiValued: true,
      subAttributes: multiValuedSubAttributes('binary', [], 'certificate'),
    }),
  ],
};
