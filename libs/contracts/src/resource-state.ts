import { ContractViolationError } from './contract-violation.error';
import type { GroupStateV1, UserEmailV1, UserStateV1 } from './directory-events';

/*
 * The summary fields of user and group events are derived from the canonical SCIM resource here, once,
 * so every producer applies the same rules (which email is primary, what is left out of `resource`).
 */

type Resource = Readonly<Record<string, unknown>>;

/** Never in an event's resource: secrets, and memberships that group events carry instead. */
const USER_EXCLUDED = ['password', 'groups'];
const GROUP_EXCLUDED = ['members'];

/** The fields of UserProvisioned/UserUpdated from a canonical SCIM User (as the SCIM endpoint returns it). */
export function userStateFromResource(resource: Resource): UserStateV1 {
  const userId = requiredString(resource, 'id', 'User');
  const userName = requiredString(resource, 'userName', 'User');
  const name = isObject(resource['name']) ? resource['name'] : {};
  const emails = emailsOf(resource['emails']);
  const primary = emails.find((e) => e.primary) ?? emails[0];
  return {
    userId,
    externalId: optionalString(resource['externalId']),
    userName,
    // SCIM: an absent `active` means active.
    active: resource['active'] !== false,
    displayName: optionalString(resource['displayName']),
    givenName: optionalString(name['givenName']),
    familyName: optionalString(name['familyName']),
    primaryEmail: primary?.value ?? null,
    emails,
    resource: without(resource, USER_EXCLUDED),
  };
}

/** The fields of GroupCreated/GroupUpdated from a canonical SCIM Group, plus its member ids. */
export function groupStateFromResource(resource: Resource): GroupStateV1 & { readonly memberIds: readonly string[] } {
  const members = Array.isArray(resource['members']) ? resource['members'] : [];
  const memberIds = [...new Set(members.flatMap((m: unknown) => (isObject(m) && typeof m['value'] === 'string' ? [m['value']] : [])))];
  return {
    groupId: requiredString(resource, 'id', 'Group'),
    externalId: optionalString(resource['externalId']),
    displayName: requiredString(resource, 'displayName', 'Group'),
    resource: without(resource, GROUP_EXCLUDED),
    memberIds,
  };
}

function emailsOf(value: unknown): UserEmailV1[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown): UserEmailV1[] =>
    isObject(e) && typeof e['value'] === 'string' && e['value'] !== ''
      ? [{ value: e['value'], type: optionalString(e['type']), primary: e['primary'] === true }]
      : [],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function requiredString(resource: Resource, key: string, kind: string): string {
  const value = resource[key];
  if (typeof value !== 'string' || value === '') {
    throw new ContractViolationError(`a canonical SCIM ${kind} needs "${key}"`, [`/${key} must be a non-empty string`]);
  }
  return value;
}

function without(resource: Resource, keys: readonly string[]): Resource {
  return Object.fromEntries(Object.entries(resource).filter(([k]) => !keys.includes(k)));
}
