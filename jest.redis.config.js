/**
 * The Redis topology suite (`npm run test:redis`), apart from `npm test` for its length: the engine on real Redis
 * Sentinel and Redis Cluster setups (test/helpers/redis-topologies.ts starts them from redis-server and
 * redis-sentinel on loopback ports of their own), with the integration project's global setup (a Temporal dev
 * server and a fresh Postgres database).
 */
const { projects, ...base } = require('./jest.config');
const { displayName, slowTestThreshold, ...integration } = projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...base,
  ...integration,
  roots: ['<rootDir>/test/redis'],
  testTimeout: 300_000,
  slowTestThreshold: 120,
};
