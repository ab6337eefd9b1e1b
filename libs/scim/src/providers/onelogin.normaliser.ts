import { normaliserWith } from './provider.types';
import { managerReferenceQuirk } from './quirks/manager-reference.quirk';
import { scim11MembersQuirk } from './quirks/scim11-members.quirk';

/**
 * OneLogin ("SCIM Provisioner with SAML (SCIM v2 Enterprise)"). Its user body comes from an admin-edited
 * template. Non-standard, handled here: `manager` as `{managerId, displayName}`; SCIM 1.1 member
 * operations from the older app. Also seen, and accepted for every provider by validation: `emails` as a
 * single object, `"active": "true"`, `""` for unset values.
 */
export const oneLoginNormaliser = normaliserWith('onelogin', [
  managerReferenceQuirk('manager-id-object', 'manager as {"managerId": "<id>", "displayName": "..."} means {"value": "<id>"}', ['managerId']),
  scim11MembersQuirk,
]);
