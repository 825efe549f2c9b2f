/**
 * One Jest configuration for unit and integration tests. The global setup starts a real Temporal dev server
 * on free ports (search attributes from temporal-dev.yaml) and creates a fresh Postgres database for the run.
 *
 * got@14 is ESM-only and Jest's module runtime cannot load it; src/http/got.ts loads it through Node's own
 * require (Node >= 20.19 can require ESM), so nothing here transforms node_modules.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The cluster suite runs apart, with its own setup: npm run test:cluster (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testTimeout: 60_000,
  slowTestThreshold: 30,
};
