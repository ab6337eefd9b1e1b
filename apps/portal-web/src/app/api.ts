/**
 * The portal's calls to its backends, all through its own origin (`/api`, routed by path: see
 * api-routes.ts). The session is an http-only cookie; every call that changes something carries the
 * CSRF header the services require of cookie-authenticated writes.
 */
import type { DirectoryOverviewView, EventLogEntryView, ScimRequestLogEntry, UserDetailView, UserSummaryView } from '@scimbridge/contracts';

export const CSRF_HEADER = 'X-Scimbridge-Portal';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }

  /** The session is gone (expired, signed out, or never opened). */
  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

export type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

/** The server's own words where it gave them (`message`, possibly a list from validation). */
export function errorMessage(body: unknown, fallback: string): string {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string' && message !== '') return message;
  }
  return fallback;
}

export interface Api {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export function createApi(fetcher: Fetcher = (input, init) => fetch(input, init), onUnauthenticated?: () => void): Api {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers[CSRF_HEADER] = '1';
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetcher(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      if (response.status === 401) onUnauthenticated?.();
      throw new ApiError(response.status, parsed, errorMessage(parsed, `${method} ${path} answered ${response.status}`));
    }
    return parsed as T;
  };
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** A query string from the defined, non-empty entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null && e[1] !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}

// ---- What the services answer: the read side's types come from @scimbridge/contracts (the portal imports no app code). ----

export interface SessionView {
  readonly organization: { readonly id: string; readonly name: string };
  readonly expiresAt: string | null;
}

export interface TokenView {
  readonly id: string;
  readonly lastFour: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface DirectoryView {
  readonly id: string;
  readonly organizationId: string;
  readonly provider: string;
  readonly name: string | null;
  readonly enabled: boolean;
  readonly endpointUrl: string;
  readonly createdAt: string;
}

export type ConnectionView = DirectoryView & { readonly tokens: readonly TokenView[] };
export type CreatedDirectory = DirectoryView & { readonly bearerToken: string; readonly token: TokenView };
export type IssuedToken = TokenView & { readonly bearerToken: string };

export type { DirectoryStatus, RequestSummary } from '@scimbridge/contracts';


export type OverviewView = DirectoryOverviewView & { readonly position: string };

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
  readonly total: number;
  readonly totalCapped: boolean;
  readonly position: string;
}

export type UserSummary = UserSummaryView;

export type UserDetail = UserDetailView & { readonly position: string };

export interface UserRoles {
  readonly roles: readonly {
    readonly role: string;
    readonly displayName: string | null;
    readonly source: 'groups' | 'default';
    readonly viaGroups: readonly { readonly groupId: string; readonly displayName: string | null }[];
    readonly since: string;
  }[];
}

export type { GroupView } from '@scimbridge/contracts';

export type EventEntry = EventLogEntryView;

export type ScimRequestEntry = ScimRequestLogEntry;

export interface RoleCatalog {
  readonly roles: readonly { readonly key: string; readonly displayName: string; readonly description: string | null }[];
}

export interface RoleMappingSet {
  readonly version: number;
  readonly mappings: readonly { readonly groupId: string; readonly groupDisplayName: string | null; readonly roles: readonly string[] }[];
  readonly defaultRole: string | null;
  readonly defaultRoleAppliesTo: 'unassigned' | 'everyone' | null;
  readonly updatedAt: string | null;
}

export interface RoleMappingBody {
  readonly mappings: readonly { readonly groupId: string; readonly roles: readonly string[] }[];
  readonly defaultRole: string | null;
  readonly defaultRoleAppliesTo: 'unassigned' | 'everyone';
}

export interface RolePreview {
  readonly roles: readonly { readonly role: string; readonly gaining: number; readonly losing: number }[];
}

export type PortalLinkRefusal = 'unknown' | 'expired' | 'revoked' | 'used';

// ---- webhook-delivery ----

export type { DeliveryView, WebhookView, WebhookWithSecret } from '@scimbridge/contracts';

/** Every public event type (docs/events.md), for the filters; a unit test keeps it equal to the catalog. */
export const PUBLIC_EVENT_TYPES = [
  'UserProvisioned',
  'UserUpdated',
  'UserDeactivated',
  'UserReactivated',
  'UserDeprovisioned',
  'GroupCreated',
  'GroupUpdated',
  'GroupDeleted',
  'GroupMembershipChanged',
  'DirectoryCreated',
  'DirectoryTokenIssued',
  'DirectoryTokenRevoked',
  'DirectoryEnabled',
  'DirectoryDisabled',
  'DirectoryDeleted',
  'DirectoryResyncStarted',
  'UserResynced',
  'GroupResynced',
  'DirectoryResyncCompleted',
  'RoleMappingsChanged',
  'RoleAssigned',
  'RoleRevoked',
  'UserRolesResynced',
] as const;
