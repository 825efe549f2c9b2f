/**
 * `npm run cluster`: a production-shaped Temporal cluster on this machine (see tools/cluster/temporal-cluster.ts) on
 * the Postgres server of DATABASE_URL, with the namespace, retention and search attributes of temporal-dev.yaml,
 * and its Web UI on 8233. Prints the addresses; Ctrl-C stops every process it started.
 *
 * Arguments: the three binaries (scripts/ensure-temporal-cluster.sh prints them), then optionally --no-ui.
 */
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { PROJECT_ROOT, readTemporalDevConfig } from '../dev/temporal-dev-config';
import { CLUSTER_PORTS, clusterPostgresOf, startTemporalCluster } from './temporal-cluster';

function say(line: string): void {
  process.stdout.write(`[cluster] ${line}\n`);
}

async function main(): Promise<void> {
  const [server, sqlTool, uiServer, ...flags] = process.argv.slice(2);
  if (!server || !sqlTool || !uiServer) throw new Error('usage: run-cluster.ts <server> <sql-tool> <ui-server> [--no-ui]');
  const config = loadConfig();
  const dev = readTemporalDevConfig();
  const logDir = path.join(PROJECT_ROOT, '.data', 'cluster');
  const started = Date.now();
  const cluster = await startTemporalCluster({
    binaries: { server, sqlTool, uiServer },
    portOffset: 0,
    postgres: clusterPostgresOf(config.databaseUrl),
    namespace: dev.namespace,
    // Closed workflows are kept as long as the engine keeps their rows (WEBHOOKS_RETENTION_DAYS, 30 by default).
    retentionDays: config.retention.days,
    searchAttributes: dev.searchAttributes,
    uiPort: flags.includes('--no-ui') ? null : CLUSTER_PORTS.ui,
    logDir,
    say,
  });
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`Temporal:    ${cluster.address} (namespace ${cluster.namespace}; the engine's default TEMPORAL_ADDRESS)`);
  if (cluster.uiUrl) say(`Temporal UI: ${cluster.uiUrl}/namespaces/${cluster.namespace}/workflows`);
  say(
    `Metrics:     ${Object.entries(cluster.metricsUrls)
      .map(([service, url]) => `${service} ${url}`)
      .join(', ')}`,
  );
  say(`Logs:        ${path.relative(PROJECT_ROOT, logDir)}/<service>.log`);
  say('Run the engine against it with `npm run dev` (it uses a Temporal that already answers). Ctrl-C stops the cluster.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping...');
    await cluster.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`[cluster] ${(error as Error).message}\n`);
    process.exit(1);
  });
}
