/**
 * Three Jest projects, run together by `npm test` (scripts/test.sh) or one at a time with `--selectProjects`:
 * - unit (test/unit): pure code, no global setup; passes with Postgres, Redis and Temporal unreachable.
 * - integration (test/integration): the global setup starts a real Temporal dev server on free ports (search
 *   attributes from temporal-dev.yaml) and creates a fresh Postgres database for the run; the workflows are bundled
 *   once per run (test/helpers/worker.ts); tests use the shared Redis and their own workers, receivers and processes.
 * - browser (test/browser): the portal in Debian's chromium (playwright-core), with the same global setup.
 * Jest runs a global setup module once per run, whichever of the projects that share it are selected.
 *
 * got@14 is ESM-only and Jest's module runtime cannot load it; src/http/got.ts loads it through Node's own
 * require (Node >= 20.19 can require ESM), so nothing here transforms node_modules.
 */
const project = (name) => ({
  displayName: name,
  testEnvironment: 'node',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  slowTestThreshold: 30,
});

const withServices = (name) => ({
  ...project(name),
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
});

// The cluster suite runs apart, with its own setup: npm run test:cluster (jest.cluster.config.js).
module.exports = {
  projects: [project('unit'), withServices('integration'), withServices('browser')],
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testTimeout: 60_000,
  slowTestThreshold: 30,
};
