/**
 * `npm test`: lint + typecheck (through Nx), unit tests, then integration and end-to-end tests on real
 * PostgreSQL and Kafka (started by the jest globalSetup in libs/testing). Every stage runs even when an
 * earlier one failed, so one run shows everything; the last line is `N passed, N failed`.
 *
 * Extra arguments go to both jest runs (e.g. `npm test -- libs/scim`); SCIMBRIDGE_SKIP_STATIC=1 skips
 * lint/typecheck.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const resultsDir = join(root, 'tmp', 'test-results');
const extraArgs = process.argv.slice(2);

interface StageResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly seconds: number;
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  success: boolean;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; seconds: number } {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return { code: result.status ?? 1, seconds: (Date.now() - started) / 1000 };
}

function staticChecks(): StageResult {
  process.stdout.write('\n=== lint + typecheck (nx run-many) ===\n');
  const { code, seconds } = run('npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', '--outputStyle=stream'], {
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
  });
  // The production compile the Dockerfiles run (tests and test support excluded).
  const build = run('npx', ['tsc', '-p', 'tsconfig.build.json', '--noEmit']);
  const ok = code === 0 && build.code === 0;
  // One check: it passes only when every project lints and typechecks and the production build compiles.
  return { name: 'lint + typecheck', passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds: seconds + build.seconds };
}

function jestStage(name: string, config: string): StageResult {
  process.stdout.write(`\n=== ${name} tests (${config}) ===\n`);
  const output = join(resultsDir, `${name}.json`);
  rmSync(output, { force: true });
  // A filtered run (`npm test -- some/path`) may leave one tier empty; a full run never may.
  const filter = extraArgs.length > 0 ? ['--passWithNoTests', ...extraArgs] : [];
  const { code, seconds } = run('npx', ['jest', '-c', config, '--json', `--outputFile=${output}`, ...filter]);
  if (!existsSync(output)) {
    // Jest could not even start (a broken config, or the globalSetup failed): count that as a failure.
    return { name, passed: 0, failed: 1, skipped: 0, seconds };
  }
  const json = JSON.parse(readFileSync(output, 'utf8')) as JestJson;
  // A suite that fails to load has no failed tests but is a failure all the same.
  const brokenSuites = json.numRuntimeErrorTestSuites;
  const failed = json.numFailedTests + brokenSuites + (code !== 0 && json.success ? 1 : 0);
  return { name, passed: json.numPassedTests, failed, skipped: json.numPendingTests + json.numTodoTests, seconds };
}

function main(): void {
  mkdirSync(resultsDir, { recursive: true });
  const stages: StageResult[] = [];
  if (process.env['SCIMBRIDGE_SKIP_STATIC'] !== '1') stages.push(staticChecks());
  stages.push(jestStage('unit', 'jest.unit.config.cjs'));
  stages.push(jestStage('integration', 'jest.int.config.cjs'));

  process.stdout.write('\n=== summary ===\n');
  for (const s of stages) {
    process.stdout.write(
      `${s.name.padEnd(18)} ${String(s.passed).padStart(4)} passed ${String(s.failed).padStart(3)} failed ${String(s.skipped).padStart(3)} skipped  (${s.seconds.toFixed(1)} s)\n`,
    );
  }
  const passed = stages.reduce((n, s) => n + s.passed, 0);
  let failed = stages.reduce((n, s) => n + s.failed, 0);
  if (extraArgs.length === 0 && stages.some((s) => s.name !== 'lint + typecheck' && s.passed + s.failed === 0)) {
    process.stdout.write('a test tier ran no test at all: counted as a failure\n');
    failed += 1;
  }
  const skipped = stages.reduce((n, s) => n + s.skipped, 0);
  process.stdout.write(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
