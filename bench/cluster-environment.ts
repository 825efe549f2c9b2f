/**
 * `npm run bench -- --temporal=cluster`: the benchmark's Temporal is a real cluster (tools/cluster, the module of
 * `npm run cluster` and of the cluster test suite): frontend, history, matching and worker as four server processes
 * on Postgres, from the files under deploy/, on ports moved by an offset whose every port is free, on a pair of
 * databases of this run's own (created and migrated by deploy/temporal-schema.sh, dropped on stop), with the
 * namespace and search attributes of temporal-dev.yaml. Each service is its own CPU group; the Postgres backends of
 * Temporal's two databases are another, apart from the engine's.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import {
  CLUSTER_PORTS,
  CLUSTER_SERVICES,
  clusterPostgresOf,
  startTemporalCluster,
  type ClusterService,
  type RunningCluster,
} from '../tools/cluster/temporal-cluster';
import { readTemporalDevConfig } from '../tools/dev/temporal-dev-config';
import { PROJECT_ROOT } from './children';
import type { TemporalTarget } from './temporal-target';

/**
 * Tried in order; the test suite uses 20000 (its UI on 28233), `npm run cluster` 0. At most 25000: the server
 * stores each host's membership port in a Postgres smallint (cluster_membership.rpc_port), so 6939 + offset must
 * stay below 32768.
 */
export const CLUSTER_PORT_OFFSETS = [22_000, 23_000, 24_000, 25_000] as const;

/** Every port deploy/temporal-server/webhooks.yaml opens at an offset: gRPC, HTTP, membership, metrics. */
export function clusterPortsAt(offset: number): number[] {
  const { frontend, frontendHttp, history, matching, worker, metricsBase } = CLUSTER_PORTS;
  const membership = [6933, 6934, 6935, 6939];
  const metrics = CLUSTER_SERVICES.map((_, i) => metricsBase + i);
  return [frontend, frontendHttp, history, matching, worker, ...membership, ...metrics].map((port) => port + offset);
}

/** The first offset whose every port is free. */
export async function pickPortOffset(candidates: readonly number[], isFree: (port: number) => Promise<boolean>): Promise<number> {
  for (const offset of candidates) {
    let free = true;
    for (const port of clusterPortsAt(offset)) {
      if (!(await isFree(port))) {
        free = false;
        break;
      }
    }
    if (free) return offset;
  }
  throw new Error(`no free port offset for the cluster among ${candidates.join(', ')}`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Builds the server, its SQL tool and the UI once (scripts/ensure-temporal-cluster.sh), returns their paths. */
function ensureBinaries(): { server: string; sqlTool: string; uiServer: string } {
  const lines = execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'ensure-temporal-cluster.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n');
  const [server, sqlTool, uiServer] = lines;
  if (!server || !sqlTool || !uiServer) throw new Error('scripts/ensure-temporal-cluster.sh did not print the three binaries');
  return { server, sqlTool, uiServer };
}

export async function startBenchCluster(
  runId: string,
  logDir: string,
  baseDatabaseUrl: string,
  say: (line: string) => void,
): Promise<TemporalTarget> {
  const binaries = ensureBinaries();
  const dev = readTemporalDevConfig();
  const postgres = {
    ...clusterPostgresOf(baseDatabaseUrl),
    database: `temporal_bench_${runId}`,
    visibilityDatabase: `temporal_bench_${runId}_visibility`,
  };
  const databases = [postgres.database, postgres.visibilityDatabase];
  const admin = new Client({ connectionString: baseDatabaseUrl });
  await admin.connect();
  const dropDatabases = async () => {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
  let cluster: RunningCluster | undefined;
  // Should the benchmark die without its cleanup, the services die with it.
  const killOnExit = () => {
    for (const service of CLUSTER_SERVICES) {
      const pid = cluster?.pid(service);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    await cluster?.stop().catch(() => undefined);
    process.removeListener('exit', killOnExit);
    await dropDatabases().catch(() => undefined);
    await admin.end().catch(() => undefined);
  };
  try {
    const portOffset = await pickPortOffset(CLUSTER_PORT_OFFSETS, portIsFree);
    const started = Date.now();
    cluster = await startTemporalCluster({
      binaries,
      portOffset,
      postgres,
      namespace: dev.namespace,
      // Workflows of the run are not looked at after it; the databases are dropped anyway.
      retentionDays: 1,
      searchAttributes: dev.searchAttributes,
      uiPort: null,
      logDir: path.join(logDir, 'cluster'),
      say: (line) => say(`  cluster: ${line}`),
    });
    const running = cluster;
    say(`  cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${running.address} (port offset ${portOffset})`);
    const pidsOf = (service: ClusterService) => () => {
      const pid = running.pid(service);
      return pid ? [pid] : [];
    };
    const server = path.relative(PROJECT_ROOT, binaries.server);
    return {
      kind: 'cluster',
      temporal: { address: running.address, namespace: running.namespace },
      command: `${binaries.server} --root deploy --config temporal-server --env webhooks --allow-no-auth start --service <frontend|history|matching|worker>`,
      details: [
        `Temporal cluster (started by the benchmark with tools/cluster, the module of \`npm run cluster\`): four processes of \`${server}\`, one per service, ` +
          `each \`./${server} --root deploy --config temporal-server --env webhooks --allow-no-auth start --service <service>\`, ` +
          `on Postgres (\`postgres12\` plugin: persistence in \`temporal_bench_<run>\`, SQL visibility in \`temporal_bench_<run>_visibility\`, both dropped at the end), ` +
          `4 history shards, at most 8 + 4 Postgres connections per process, the dynamic config of deploy/temporal-dynamicconfig.yaml, ` +
          `ports of deploy/temporal-server/webhooks.yaml moved by ${portOffset} (frontend ${running.address}; Prometheus per service on ${CLUSTER_PORTS.metricsBase + portOffset}-${CLUSTER_PORTS.metricsBase + portOffset + 3}), no Web UI.`,
      ],
      groups: [
        ...CLUSTER_SERVICES.map((service) => [`temporal-${service}`, pidsOf(service)] as [string, () => number[]]),
        [
          'postgres-temporal',
          async () =>
            (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [databases])).rows.map(
              (r) => r.pid,
            ),
        ],
      ],
      metricsUrls: running.metricsUrls,
      databaseCommits: async () => {
        const result = await admin.query<{ n: string }>(
          'SELECT coalesce(sum(xact_commit), 0)::bigint AS n FROM pg_stat_database WHERE datname = ANY($1)',
          [databases],
        );
        return Number(result.rows[0]?.n ?? 0);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
