// Integration (`*.int.spec.ts`) and end-to-end (`*.e2e.spec.ts`) tests against real PostgreSQL and
// Kafka, started once per run by the harness in libs/testing.
const preset = require('./jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'integration',
  testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts', '<rootDir>/{apps,libs,tools}/**/*.e2e.spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/infra/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/infra/jest-global-teardown.ts',
  testTimeout: 120000,
  // Lists every test, so a skipped suite and its stated reason show in CI's log.
  verbose: true,
  // Two cores: the broker, the database and the services under test need the other one.
  maxWorkers: 1,
};
