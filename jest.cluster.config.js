/**
 * The cluster suite (`npm run test:cluster`), apart from `npm test`: a real Temporal cluster (frontend, history,
 * matching and worker processes on Postgres, tools/cluster) on ports 20000 above the defaults, so that it does not
 * meet `npm run dev` or `npm run cluster`; a fresh Postgres database for the engine. Builds the server once.
 */
const { projects, ...base } = require('./jest.config');
const { displayName, slowTestThreshold, ...integration } = projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...base,
  ...integration,
  roots: ['<rootDir>/test/cluster'],
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
  testTimeout: 600_000,
  slowTestThreshold: 120,
};
