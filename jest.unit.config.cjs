// Unit tests: pure, no infrastructure. `*.spec.ts` that are neither `.int.` nor `.e2e.`.
const preset = require('./jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'unit',
  testMatch: ['<rootDir>/{apps,libs,tools,examples}/**/*.spec.{ts,tsx}'],
  testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$'],
};
