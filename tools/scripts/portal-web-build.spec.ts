import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newestSourceMtime, portalBuildIsCurrent } from './portal-web-build';

describe('portal build freshness', () => {
  let root: string;
  const at = (path: string, seconds: number): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), 'x');
    utimesSync(join(root, path), seconds, seconds);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'portal-build-'));
    at('apps/portal-web/index.html', 1_000);
    at('apps/portal-web/vite.config.mts', 1_000);
    at('apps/portal-web/src/app/app.tsx', 2_000);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('needs a build when there is none', () => {
    expect(portalBuildIsCurrent(root)).toBe(false);
  });

  it('is current when the build is newer than every source, stale when a source changed after it', () => {
    at('dist/portal-web/index.html', 3_000);
    expect(portalBuildIsCurrent(root)).toBe(true);
    at('apps/portal-web/src/styles.css', 4_000);
    expect(portalBuildIsCurrent(root)).toBe(false);
    at('apps/portal-web/public/favicon.svg', 5_000);
    expect(newestSourceMtime(root)).toBe(5_000_000);
  });

  it('ignores tests: editing a spec does not rebuild', () => {
    at('dist/portal-web/index.html', 3_000);
    at('apps/portal-web/src/app/app.spec.tsx', 9_000);
    at('apps/portal-web/src/api-routes.spec.ts', 9_000);
    expect(portalBuildIsCurrent(root)).toBe(true);
  });
});
