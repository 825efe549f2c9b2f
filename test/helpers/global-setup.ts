import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startTemporalDevServer } from '../../tools/dev/temporal-dev-server';
import { migrate } from '../../src/app/migrate';
import { engineTestEnv } from './engine-test-env';
import { freePort } from './free-port';

/**
 * Starts what every test file shares: one real Temporal dev server on free ports (in memory, search attributes
 * registered) and one fresh Postgres database with migrations applied, and names the file that holds the run's
 * workflow bundle. Test files add their own workers on unique task queues, their own Redis channels and receivers.
 * Values reach the tests through process.env.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const baseDb = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = new URL(baseDb);
  dbUrl.pathname = `/webhooks_test_${runId}`;

  const [port, uiPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const logFile = path.join(os.tmpdir(), `webhooks-test-temporal-${runId}.log`);
  const server = await startTemporalDevServer({
    config: { port, uiPort, httpPort, metricsPort, dbFilename: null, logLevel: 'error' },
    headless: true,
    logFile,
  });
  await migrate(dbUrl.toString());

  Object.assign(process.env, {
    ...engineTestEnv(runId, dbUrl.toString()),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TEST_LOG: logFile,
    // The workflows' bundle, made by the first test file that needs it (test/helpers/worker.ts), read by the others.
    TEST_WORKFLOW_BUNDLE: path.join(os.tmpdir(), `webhooks-test-workflows-${runId}.js`),
  });
  (globalThis as Record<string, unknown>).__TEMPORAL_SERVER__ = server;
}
