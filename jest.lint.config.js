/**
 * `npm run lint`: the checks that need Debian tools (shellcheck, systemd-analyze), which `.ci/run`
 * installs first. Their files end in `.lint.ts`, under test/lint/, so `npm test`'s jest (which
 * needs nothing but Node) never picks them up.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/lint'],
  testMatch: ['**/*.lint.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testTimeout: 60000,
  maxWorkers: 2,
};
