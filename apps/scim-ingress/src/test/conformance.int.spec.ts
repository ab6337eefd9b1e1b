import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createDirectory, startIngress, type Ingress } from './ingress.test-support';

/*
 * The external SCIM 2.0 conformance tools from PyPI (scim2-tester, scim-sanity; pinned in
 * tools/conformance/requirements.txt) against the running ingress: no failures but the pinned, deliberate
 * deviations below, and skips only for features the ServiceProviderConfig declares unsupported.
 */

const run = promisify(execFile);
const root = resolve(__dirname, '../../../..');

interface ToolReport {
  name: string;
  version: string;
  passed: string[];
  failed: { name: string; reason: string }[];
  skipped: { name: string; reason: string; feature: string; expected: boolean }[];
  warnings: { name: string; reason: string }[];
}

/**
 * Checks where the tool's expectation contradicts a product rule on purpose. Each is pinned exactly: a
 * new failure, or this one disappearing, fails the test so the list is revisited.
 */
const KNOWN_DEVIATIONS: Record<string, { name: string; reason: string; why: string }[]> = {
  'scim2-tester': [],
  'scim-sanity': [
    {
      name: 'Phase 3 — Group CRUD Lifecycle :: PATCH /Groups/{id} add member',
      reason: 'Expected 200, got 400',
      // scim-sanity adds the member id "fake-member-id" and wants 200. Members that are not users of the
      // directory are a 400 invalidValue here (issue 5): accepting and dropping them would silently lose
      // what the IdP sent, and keeping them would put unknown users into role assignment.
      why: 'members must be users of this directory',
    },
  ],
};

let ingress: Ingress;

beforeAll(async () => {
  // Creates .cache/conformance-venv once (pip from PyPI); a no-op when it is already there.
  await run('bash', [join(root, 'tools/conformance/install.sh')], { cwd: root, timeout: 240_000 });
  ingress = await startIngress();
}, 300_000);

afterAll(async () => {
  await ingress?.close();
});

describe.each(['scim2-tester', 'scim-sanity'])('%s against the ingress', (tool) => {
  it('reports no failure and only declared skips', async () => {
    const directory = await createDirectory(ingress, 'generic');
    const out = join(mkdtempSync(join(root, 'tmp', 'conformance-')), 'report.json');
    const python = join(root, '.cache/conformance-venv/bin/python');
    const result = await run(python, [join(root, 'tools/conformance/run_conformance.py'), '--url', directory.endpointUrl, '--tool', tool, '--json-out', out], {
      cwd: root,
      env: { ...process.env, CONFORMANCE_TOKEN: directory.token },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const report = JSON.parse(readFileSync(out, 'utf8')) as { tools: ToolReport[] };
    const [tested] = report.tools;
    if (!tested) throw new Error(`no report from ${tool}: ${result.stderr}`);
    process.stdout.write(`[conformance] ${tool} ${tested.version}: ${tested.passed.length} passed, ${tested.failed.length} failed, ${tested.skipped.length} skipped, ${tested.warnings.length} warnings\n`);
    const known = KNOWN_DEVIATIONS[tool] ?? [];
    expect(tested.failed.map((f) => ({ name: f.name, reason: f.reason }))).toEqual(known.map(({ name, reason }) => ({ name, reason })));
    expect(tested.skipped.filter((s) => !s.expected)).toEqual([]);
    expect(tested.passed.length).toBeGreaterThan(10);
  }, 200_000);
});
