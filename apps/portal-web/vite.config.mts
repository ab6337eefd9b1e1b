import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const env = (name: string, fallback: string): string => process.env[name] || fallback;

/** Each backend service serves the paths it owns; the portal reaches them through this proxy. */
export const backends = {
  'scim-ingress': env('SCIM_INGRESS_URL', 'http://127.0.0.1:3000'),
  'role-assignment': env('ROLE_ASSIGNMENT_URL', 'http://127.0.0.1:3001'),
  'portal-query': env('PORTAL_QUERY_URL', 'http://127.0.0.1:3002'),
};

const statusProxy = Object.fromEntries(
  Object.entries(backends).map(([name, target]) => [
    `/status/${name}`,
    { target, changeOrigin: true, rewrite: () => '/health/ready' },
  ]),
);

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  server: {
    host: env('PORTAL_WEB_HOST', '127.0.0.1'),
    port: Number(env('PORTAL_WEB_PORT', '4200')),
    strictPort: true,
    proxy: statusProxy,
  },
  preview: { port: Number(env('PORTAL_WEB_PORT', '4200')), strictPort: true, proxy: statusProxy },
  build: { outDir: fileURLToPath(new URL('../../dist/portal-web', import.meta.url)), emptyOutDir: true },
});
