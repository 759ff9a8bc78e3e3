/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/lint/ is `npm run lint` (jest.lint.config.js): it needs shellcheck and systemd-analyze.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/lint/'],
  // Type-checking is done once by `tsc` in `npm test`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testTimeout: 60000,
  // Integration tests fork real workers: two files at a time fits a 2-core machine.
  maxWorkers: 2,
};
