import react from '@vitejs/plugin-react';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ProxyOptions } from 'vite';
import { API_ROUTES, BACKEND_URL_VARIABLES, DEFAULT_BACKEND_URLS, contentSecurityPolicy, type Backend } from './src/api-routes';

const env = (name: string, fallback: string): string => process.env[name] || fallback;

/** Each backend service serves the paths it owns; the portal reaches them through this proxy. */
export const backends = Object.fromEntries(
  (Object.keys(BACKEND_URL_VARIABLES) as Backend[]).map((b) => [b, env(BACKEND_URL_VARIABLES[b], DEFAULT_BACKEND_URLS[b])]),
) as Record<Backend, string>;

// Regex keys (starting with `^`) are tried in insertion order, so the table's order holds. Vite matches
// by path only, so a route's by-method backend re-targets the request inside its proxy.
const apiProxy: Record<string, ProxyOptions> = Object.fromEntries(
  API_ROUTES.map((route) => {
    const options: ProxyOptions = { target: backends[route.backend], changeOrigin: true, xfwd: true };
    const byMethod = route.byMethod;
    if (byMethod) {
      options.configure = (proxy) => {
        const web = proxy.web.bind(proxy);
        // Vite calls `proxy.web(req, res, options)` on this instance for every request of the route.
        const routed = (req: IncomingMessage, res: ServerResponse, opts: ProxyOptions = {}): void =>
          web(req, res, byMethod.methods.includes((req.method ?? 'GET').toUpperCase()) ? { ...opts, target: backends[byMethod.backend] } : opts);
        Object.defineProperty(proxy, 'web', { value: routed });
      };
    }
    return [route.pattern, options];
  }),
);

const statusProxy: Record<string, ProxyOptions> = Object.fromEntries(
  Object.entries(backends).map(([name, target]) => [`/status/${name}`, { target, changeOrigin: true, rewrite: () => '/health/ready' }]),
);

const proxy = { ...statusProxy, ...apiProxy };
const port = Number(env('PORTAL_WEB_PORT', '4200'));
const host = env('PORTAL_WEB_HOST', '127.0.0.1');

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  server: { host, port, strictPort: true, proxy },
  // The production build as `npm start` serves it: same proxy, plus the CSP (frame-ancestors) nginx sends.
  preview: {
    host,
    port,
    strictPort: true,
    proxy,
    headers: {
      'Content-Security-Policy': contentSecurityPolicy(process.env['PORTAL_FRAME_ANCESTORS']),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    },
  },
  build: { outDir: fileURLToPath(new URL('../../dist/portal-web', import.meta.url)), emptyOutDir: true },
});
