/**
 * Which backend serves which `/api` path. Each service serves only the paths it owns, and the browser
 * sees one origin (the portal's), so the portal routes `/api` by path: vite.config.mts (dev server and
 * `vite preview`) builds its proxy from this table, and nginx.conf.template mirrors it as regex
 * locations in the same order (api-routes.spec.ts checks both). First match wins; order matters.
 *
 * The patterns are matched against the path with its query string (Vite) or without it (nginx), so each
 * ends in `(?:[/?]|$)` or `(?:\?|$)`.
 */
export type Backend = 'scim-ingress' | 'role-assignment' | 'portal-query' | 'webhook-delivery';

export interface ApiRoute {
  /** A regular expression (source), anchored with `^`. */
  readonly pattern: string;
  readonly backend: Backend;
  /** Requests with one of these methods on the same paths go to another backend instead. */
  readonly byMethod?: { readonly methods: readonly string[]; readonly backend: Backend };
}

const ID = '[^/?]+';

export const API_ROUTES: readonly ApiRoute[] = [
  // role-assignment: the roles catalog, a directory's mappings (and history, preview), a user's roles.
  { pattern: `^/api/v1/organizations/${ID}/roles(?:[/?]|$)`, backend: 'role-assignment' },
  { pattern: `^/api/v1/directories/${ID}/role-mappings(?:[/?]|$)`, backend: 'role-assignment' },
  { pattern: `^/api/v1/directories/${ID}/users/${ID}/roles(?:[/?]|$)`, backend: 'role-assignment' },
  // portal-query: overviews, the Users / Groups tabs and the event log.
  { pattern: `^/api/v1/organizations/${ID}/directory-overviews(?:[/?]|$)`, backend: 'portal-query' },
  { pattern: `^/api/v1/directories/${ID}/(?:users|groups|events)(?:[/?]|$)`, backend: 'portal-query' },
  // …except DELETE of a directory, which the ingress does (it owns directories).
  { pattern: `^/api/v1/directories/${ID}(?:\\?|$)`, backend: 'portal-query', byMethod: { methods: ['DELETE'], backend: 'scim-ingress' } },
  // webhook-delivery: an organization's webhooks (and their delivery log), the events API.
  { pattern: `^/api/v1/organizations/${ID}/webhooks(?:[/?]|$)`, backend: 'webhook-delivery' },
  { pattern: '^/api/v1/events(?:[/?]|$)', backend: 'webhook-delivery' },
  // The ingress owns everything else: organizations, directories, tokens, portal sessions, request log.
  { pattern: '^/api/', backend: 'scim-ingress' },
];

/** The backend serving `method path` (path with or without its query string); undefined for non-API paths. */
export function backendFor(path: string, method = 'GET'): Backend | undefined {
  const route = API_ROUTES.find((r) => new RegExp(r.pattern).test(path));
  if (!route) return undefined;
  return route.byMethod?.methods.includes(method.toUpperCase()) ? route.byMethod.backend : route.backend;
}

/** The env variable each backend's base URL comes from (the same names in Vite and in nginx). */
export const BACKEND_URL_VARIABLES: Record<Backend, string> = {
  'scim-ingress': 'SCIM_INGRESS_URL',
  'role-assignment': 'ROLE_ASSIGNMENT_URL',
  'portal-query': 'PORTAL_QUERY_URL',
  'webhook-delivery': 'WEBHOOK_DELIVERY_URL',
};

export const DEFAULT_BACKEND_URLS: Record<Backend, string> = {
  'scim-ingress': 'http://127.0.0.1:3000',
  'role-assignment': 'http://127.0.0.1:3001',
  'portal-query': 'http://127.0.0.1:3002',
  'webhook-delivery': 'http://127.0.0.1:3003',
};

/**
 * `Content-Security-Policy` of the portal's pages: who may frame it (`frame-ancestors`) comes from
 * PORTAL_FRAME_ANCESTORS (space-separated origins, e.g. the app's own settings page origin).
 */
export function contentSecurityPolicy(frameAncestors: string | undefined): string {
  const origins = (frameAncestors ?? '').split(/[\s,]+/).filter((o) => /^https?:\/\/[^\s/;']+$/.test(o));
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors 'self'${origins.map((o) => ` ${o}`).join('')}`,
  ].join('; ');
}
