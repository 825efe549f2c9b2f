/**
 * A cluster for one test file: tools/cluster's real services on ports 20000 above the defaults (frontend 27233,
 * UI 28233), on this run's own pair of databases (dropped again on stop), with the namespace and search attributes
 * of temporal-dev.yaml.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { loadConfig } from '../../src/config';
import { readTemporalDevConfig } from '../../tools/dev/temporal-dev-config';
import { CLUSTER_PORTS, clusterPostgresOf, startTemporalCluster, type RunningCluster } from '../../tools/cluster/temporal-cluster';

export const TEST_PORT_OFFSET = 20_000;

export interface TestCluster extends RunningCluster {
  readonly logDir: string;
  /** Seconds from the first schema step to a registered namespace. */
  readonly startSeconds: number;
  /** The cluster's persistence and visibility databases, and a URL of their Postgres server. */
  readonly databases: readonly string[];
  readonly postgresUrl: string;
}

export async function startTestCluster(options: { ui?: boolean } = {}): Promise<TestCluster> {
  const [server, sqlTool, uiServer] = (process.env.TEMPORAL_CLUSTER_BINARIES ?? '').split(path.delimiter);
  if (!server || !sqlTool || !uiServer) throw new Error('TEMPORAL_CLUSTER_BINARIES is not set: run through jest.cluster.config.js');
  const config = loadConfig(process.env);
  const dev = readTemporalDevConfig();
  const runId = process.env.TEST_RUN_ID ?? 'local';
  const postgres = {
    ...clusterPostgresOf(config.databaseUrl),
    database: `temporal_ct_${runId}`,
    visibilityDatabase: `temporal_ct_${runId}_visibility`,
  };
  const logDir = mkdtempSync(path.join(tmpdir(), 'webhooks-cluster-'));
  const started = Date.now();
  const cluster = await startTemporalCluster({
    binaries: { server, sqlTool, uiServer },
    portOffset: TEST_PORT_OFFSET,
    postgres,
    namespace: dev.namespace,
    retentionDays: config.retention.days,
    searchAttributes: dev.searchAttributes,
    uiPort: options.ui ? CLUSTER_PORTS.ui + TEST_PORT_OFFSET : null,
    logDir,
    // Beside the engine's processes and other runs on the same Postgres (max_connections 100).
    dbMaxConns: { persistence: 5, visibility: 2 },
  });
  const startSeconds = (Date.now() - started) / 1000;
  const postgresUrl = new URL(config.databaseUrl);
  postgresUrl.pathname = '/postgres';
  return {
    ...cluster,
    logDir,
    startSeconds,
    databases: [postgres.database, postgres.visibilityDatabase],
    postgresUrl: postgresUrl.toString(),
    async stop() {
      await cluster.stop();
      const admin = new PgClient({ connectionString: postgresUrl.toString() });
      await admin.connect();
      try {
        for (const name of [postgres.database, postgres.visibilityDatabase])
          await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
