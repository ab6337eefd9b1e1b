/**
 * The portal's production build, shared by `npm start` and the portal's browser test: `vite build` when
 * dist/portal-web is missing or older than the portal's sources, then `vite preview` serves it with the
 * same `/api` proxy as the dev server (apps/portal-web/vite.config.mts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CONFIG = 'apps/portal-web/vite.config.mts';

/** Newest modification time (ms) of the files that go into the build (tests excluded). */
export function newestSourceMtime(root: string): number {
  const app = join(root, 'apps/portal-web');
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (!/\.(spec|e2e\.spec)\.tsx?$/.test(path)) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const entry of ['index.html', 'vite.config.mts', 'src', 'public']) {
    if (existsSync(join(app, entry))) visit(join(app, entry));
  }
  return newest;
}

export function portalBuildIsCurrent(root: string): boolean {
  const built = join(root, 'dist/portal-web/index.html');
  return existsSync(built) && statSync(built).mtimeMs >= newestSourceMtime(root);
}

/** Builds the portal unless the build is current; returns whether it built. Throws with vite's output on failure. */
export function ensurePortalBuild(root: string): boolean {
  if (portalBuildIsCurrent(root)) return false;
  const result = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', CONFIG, '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    // Always a production build: under jest NODE_ENV is `test`, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return true;
}

/** Arguments for `node <these>` that serve the build: `vite preview` (port and backends come from env). */
export function portalPreviewArgs(root: string): string[] {
  return [join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--config', CONFIG];
}
