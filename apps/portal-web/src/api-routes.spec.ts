import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ROUTES, BACKEND_URL_VARIABLES, backendFor, contentSecurityPolicy } from './api-routes';

const dir = '0b7f3a52-5a4e-4a43-9c1b-2b8d3f0c9e11';
const org = '7d1e9f0a-1111-4c22-8d33-0123456789ab';

describe('the /api routing table', () => {
  it.each([
    [`/api/v1/organizations/${org}/roles`, 'role-assignment'],
    [`/api/v1/directories/${dir}/role-mappings`, 'role-assignment'],
    [`/api/v1/directories/${dir}/role-mappings/history`, 'role-assignment'],
    [`/api/v1/directories/${dir}/role-mappings/preview`, 'role-assignment'],
    [`/api/v1/directories/${dir}/users/00u1abc/roles`, 'role-assignment'],
    [`/api/v1/directories/${dir}`, 'portal-query'],
    [`/api/v1/directories/${dir}?minPosition=abc`, 'portal-query'],
    [`/api/v1/organizations/${org}/directory-overviews`, 'portal-query'],
    [`/api/v1/directories/${dir}/users`, 'portal-query'],
    [`/api/v1/directories/${dir}/users?search=jane&status=active`, 'portal-query'],
    [`/api/v1/directories/${dir}/users/00u1abc`, 'portal-query'],
    [`/api/v1/directories/${dir}/groups`, 'portal-query'],
    [`/api/v1/directories/${dir}/groups/g1/members?limit=50`, 'portal-query'],
    [`/api/v1/directories/${dir}/events?type=UserProvisioned`, 'portal-query'],
    [`/api/v1/organizations/${org}/webhooks`, 'webhook-delivery'],
    [`/api/v1/organizations/${org}/webhooks/5c6f/deliveries?status=dead`, 'webhook-delivery'],
    [`/api/v1/organizations/${org}/webhooks/5c6f/deliveries/9a1b/redeliver`, 'webhook-delivery'],
    ['/api/v1/events', 'webhook-delivery'],
    [`/api/v1/events?directoryId=${dir}&after=abc&limit=10`, 'webhook-delivery'],
    ['/api/v1/events-export', 'scim-ingress'],
    [`/api/v1/organizations/${org}`, 'scim-ingress'],
    [`/api/v1/organizations/${org}/directories`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/connection`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/tokens`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/tokens/5c6f`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/enable`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/disable`, 'scim-ingress'],
    [`/api/v1/directories/${dir}/scim-requests?limit=50`, 'scim-ingress'],
    ['/api/v1/portal-sessions', 'scim-ingress'],
    ['/api/v1/portal-sessions/current', 'scim-ingress'],
  ])('%s → %s', (path, backend) => {
    expect(backendFor(path)).toBe(backend);
  });

  it('sends a directory DELETE to the ingress, every other method of that path to portal-query', () => {
    expect(backendFor(`/api/v1/directories/${dir}`, 'DELETE')).toBe('scim-ingress');
    expect(backendFor(`/api/v1/directories/${dir}`, 'delete')).toBe('scim-ingress');
    expect(backendFor(`/api/v1/directories/${dir}`, 'GET')).toBe('portal-query');
    expect(backendFor(`/api/v1/directories/${dir}/tokens/5c6f`, 'DELETE')).toBe('scim-ingress');
    expect(backendFor(`/api/v1/directories/${dir}/users`, 'DELETE')).toBe('portal-query');
  });

  it('does not claim a user whose id merely ends in "roles", nor non-API paths', () => {
    expect(backendFor(`/api/v1/directories/${dir}/users/controles`)).toBe('portal-query');
    expect(backendFor(`/api/v1/directories/${dir}/users-export`)).toBe('scim-ingress');
    expect(backendFor('/open')).toBeUndefined();
    expect(backendFor('/assets/index.js')).toBeUndefined();
  });

  it('is mirrored by nginx.conf.template: the same regexes to the same backends, in the same order', () => {
    const template = readFileSync(join(__dirname, '..', 'nginx.conf.template'), 'utf8');
    const locations = [...template.matchAll(/location ~ (\S+) \{ (?:if \(\$request_method ~ \^\(\?:([A-Z|]+)\)\$\) \{ proxy_pass \$\{([A-Z_]+)\}; \} )?proxy_pass \$\{([A-Z_]+)\}; \}/g)].map((m) => ({
      pattern: m[1],
      variable: m[4],
      ...(m[2] ? { byMethod: { methods: (m[2] as string).split('|'), variable: m[3] } } : {}),
    }));
    expect(locations).toEqual(
      API_ROUTES.map((r) => ({
        pattern: r.pattern,
        variable: BACKEND_URL_VARIABLES[r.backend],
        ...(r.byMethod ? { byMethod: { methods: r.byMethod.methods, variable: BACKEND_URL_VARIABLES[r.byMethod.backend] } } : {}),
      })),
    );
  });
});

describe('contentSecurityPolicy', () => {
  it('lets only the configured origins frame the portal', () => {
    expect(contentSecurityPolicy(undefined)).toContain("frame-ancestors 'self'");
    expect(contentSecurityPolicy('https://app.example.com https://admin.example.com')).toContain(
      "frame-ancestors 'self' https://app.example.com https://admin.example.com",
    );
  });

  it('drops anything that is not a plain origin (no directive injection)', () => {
    const csp = contentSecurityPolicy("https://ok.example.com; script-src * 'unsafe-inline' javascript:alert(1)");
    expect(csp).toMatch(/frame-ancestors 'self'$/);
    expect(contentSecurityPolicy('https://ok.example.com,https://b.example.com')).toMatch(/frame-ancestors 'self' https:\/\/ok\.example\.com https:\/\/b\.example\.com$/);
  });
});
