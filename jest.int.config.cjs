// Integration (`*.int.spec.ts`) and end-to-end (`*.e2e.spec.ts`) tests against real PostgreSQL and
// Kafka, started once per run by the harness in libs/testing.
const preset = require('./jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'integration',
  testMatch: ['<rootDir>/{apps,libs,tools,examples}/**/*.int.spec.ts', '<rootDir>/{apps,libs,tools,examples}/**/*.e2e.spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/infra/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/infra/jest-global-teardown.ts',
  testTimeout: 120000,
  // Lists every test, so a skipped suite and its stated reason show in CI's log.
  verbose: true,
  // Two cores: the broker, the database and the services under test need the other one.
  maxWorkers: 1,
  // Exit once the results are written and the globalTeardown has stopped PostgreSQL and Kafka, even if a
  // suite left a handle open: a suite whose afterAll failed half-way once left a service process behind
  // and held the CI run for 9 minutes after the last test. Processes a suite leaves are ended by their
  // watchdogs (libs/testing process-guard) when this process exits.
  forceExit: true,
};
