import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { migrate } from '../../src/app/migrate';
import { engineTestEnv } from '../helpers/engine-test-env';

/**
 * What the cluster suite's files share: the Temporal binaries (built once into .tools/bin by
 * scripts/ensure-temporal-cluster.sh; the first build takes minutes) and a fresh engine database. Each test file
 * starts its own cluster (tools/cluster) so that it can restart the cluster's services.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const root = path.resolve(__dirname, '..', '..');
  const started = Date.now();
  const binaries = execFileSync('bash', [path.join(root, 'scripts', 'ensure-temporal-cluster.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n');
  const buildSeconds = (Date.now() - started) / 1000;
  if (buildSeconds > 5) process.stderr.write(`\n[cluster suite] Temporal binaries ready in ${buildSeconds.toFixed(0)} s\n`);

  const baseDb = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = new URL(baseDb);
  dbUrl.pathname = `/webhooks_cluster_test_${runId}`;
  await migrate(dbUrl.toString());

  Object.assign(process.env, {
    ...engineTestEnv(runId, dbUrl.toString()),
    TEMPORAL_CLUSTER_BINARIES: binaries.join(path.delimiter),
  });
}
