/**
 * A real Temporal cluster on this machine: the server's frontend, history, matching and worker services as four
 * processes on Postgres, and optionally its Web UI, all from the files under deploy/ (the ones docker-compose.yml
 * mounts too). Used by `npm run cluster` (tools/cluster/run-cluster.ts) and by the cluster test suite, which starts it
 * on other ports and databases.
 *
 * ```ts
 * const cluster = await startTemporalCluster({ binaries, portOffset: 0, postgres, namespace, ... });
 * await cluster.restart('history');   // a fault step
 * await cluster.stop();               // every process it started, and waits for them
 * ```
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../dev/temporal-dev-config';
import { stopProcess } from '../dev/temporal-dev-server';
import { registerNamespace, waitForFrontend } from './cluster-namespace';

export const CLUSTER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

/** Default ports (deploy/temporal-server/webhooks.yaml), each moved by the port offset. */
export const CLUSTER_PORTS = {
  frontend: 7233,
  frontendHttp: 7243,
  history: 7234,
  matching: 7235,
  worker: 7239,
  metricsBase: 9090,
  ui: 8233,
} as const;

/**
 * The port that says a service process is up: the gRPC port, except for the worker service, which serves no gRPC
 * (its port only names it in membership) and is up once its membership (ringpop) port listens.
 */
const READY_PORTS: Record<ClusterService, number> = { frontend: 7233, history: 7234, matching: 7235, worker: 6939 };

/**
 * The files under deploy/ that both this module and docker-compose.yml use (a test keeps them equal): the server's
 * config (`<root>/<dir>/<env>.yaml`), the UI's, the dynamic config and the schema step.
 */
export const DEPLOY_FILES = {
  root: 'deploy',
  serverConfigDir: 'temporal-server',
  uiConfigDir: 'temporal-ui',
  configEnv: 'webhooks',
  dynamicConfig: 'deploy/temporal-dynamicconfig.yaml',
  schemaScript: 'deploy/temporal-schema.sh',
} as const;

export interface ClusterBinaries {
  readonly server: string;
  readonly sqlTool: string;
  readonly uiServer: string;
}

export interface ClusterPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly visibilityDatabase: string;
}

/** The cluster's two databases sit on the engine's Postgres server, beside the engine's database. */
export function clusterPostgresOf(databaseUrl: string): ClusterPostgres {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    database: 'temporal_cluster',
    visibilityDatabase: 'temporal_cluster_visibility',
  };
}

export interface StartClusterOptions {
  readonly binaries: ClusterBinaries;
  /** Added to every port of the server config; 0 gives the defaults (frontend 7233). */
  readonly portOffset: number;
  readonly postgres: ClusterPostgres;
  readonly namespace: string;
  readonly retentionDays: number;
  /** name -> type (Keyword, ...), as declared in temporal-dev.yaml. */
  readonly searchAttributes: Readonly<Record<string, string>>;
  /** Port of the Web UI; null: no UI. */
  readonly uiPort: number | null;
  /** Directory receiving one log file per process. */
  readonly logDir: string;
  readonly logLevel?: string;
  /** Postgres connections per process for the persistence and the visibility store (default 8 and 4). */
  readonly dbMaxConns?: Readonly<{ persistence: number; visibility: number }>;
  /** Progress lines (schema, each service, registration). */
  readonly say?: (line: string) => void;
}

export interface RunningCluster {
  readonly address: string;
  readonly uiUrl: string | null;
  readonly namespace: string;
  /** Metrics endpoint (Prometheus text) of each service process. */
  readonly metricsUrls: Readonly<Record<ClusterService, string>>;
  /** Pid of each service process (changes on restart). */
  pid(service: ClusterService): number | undefined;
  /** Stops the service (SIGTERM, then SIGKILL) and starts it again; resolves once its gRPC port accepts again. */
  restart(service: ClusterService, options?: { signal?: NodeJS.Signals; downMs?: number }): Promise<void>;
  /** Stops every process started here (UI first, frontend last) and waits until each has exited. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** The environment that deploy/temporal-server/webhooks.yaml and deploy/temporal-ui/webhooks.yaml read. */
export function clusterTemplateEnv(
  options: Pick<StartClusterOptions, 'portOffset' | 'postgres' | 'logLevel' | 'dbMaxConns'>,
): Record<string, string> {
  const { postgres, dbMaxConns } = options;
  return {
    ...(dbMaxConns
      ? {
          TEMPORAL_CLUSTER_DB_MAX_CONNS: String(dbMaxConns.persistence),
          TEMPORAL_CLUSTER_VISIBILITY_DB_MAX_CONNS: String(dbMaxConns.visibility),
        }
      : {}),
    TEMPORAL_CLUSTER_PORT_OFFSET: String(options.portOffset),
    TEMPORAL_CLUSTER_DB_HOST: postgres.host,
    TEMPORAL_CLUSTER_DB_PORT: String(postgres.port),
    TEMPORAL_CLUSTER_DB_USER: postgres.user,
    TEMPORAL_CLUSTER_DB_PASSWORD: postgres.password,
    TEMPORAL_CLUSTER_DB_NAME: postgres.database,
    TEMPORAL_CLUSTER_VISIBILITY_DB_NAME: postgres.visibilityDatabase,
    TEMPORAL_CLUSTER_DYNAMIC_CONFIG: path.join(PROJECT_ROOT, DEPLOY_FILES.dynamicConfig),
    TEMPORAL_CLUSTER_LOG_LEVEL: options.logLevel ?? 'warn',
  };
}

/** Only what the child processes need, never this process's whole environment. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
}

/** Creates and migrates both databases with deploy/temporal-schema.sh (idempotent). */
export async function migrateClusterSchema(options: Pick<StartClusterOptions, 'binaries' | 'postgres'>): Promise<void> {
  await run('sh', [path.join(PROJECT_ROOT, DEPLOY_FILES.schemaScript)], {
    cwd: PROJECT_ROOT,
    env: { ...baseEnv(), ...clusterTemplateEnv({ portOffset: 0, postgres: options.postgres }), SQL_TOOL: options.binaries.sqlTool },
    maxBuffer: 16 * 1024 * 1024,
  });
}

function waitForPort(port: number, timeoutMs: number, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        const reason = exited();
        if (reason) reject(new Error(reason));
        else if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

/** `--root deploy --config <dir> --env webhooks`: both servers read `deploy/<dir>/webhooks.yaml`. */
const configArgs = (dir: string) => [
  '--root',
  path.join(PROJECT_ROOT, DEPLOY_FILES.root),
  '--config',
  dir,
  '--env',
  DEPLOY_FILES.configEnv,
];

export async function startTemporalCluster(options: StartClusterOptions): Promise<RunningCluster> {
  const say = options.say ?? (() => undefined);
  const offset = options.portOffset;
  const env = { ...baseEnv(), ...clusterTemplateEnv(options) };
  mkdirSync(options.logDir, { recursive: true });

  say(
    `schema: ${options.postgres.database} and ${options.postgres.visibilityDatabase} on ${options.postgres.host}:${options.postgres.port}`,
  );
  await migrateClusterSchema(options);

  const children = new Map<ClusterService | 'ui', ChildProcess>();
  const exits = new Map<ClusterService | 'ui', string>();
  const metricsPort = (service: ClusterService) => CLUSTER_PORTS.metricsBase + offset + CLUSTER_SERVICES.indexOf(service);

  const spawnLogged = (name: ClusterService | 'ui', command: string, args: string[], extraEnv: Record<string, string>) => {
    const log = openSync(path.join(options.logDir, `${name}.log`), 'a');
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', log, log] });
    exits.delete(name);
    child.once('exit', (code, signal) =>
      exits.set(name, `${name} exited with ${signal ?? code} (log: ${path.join(options.logDir, `${name}.log`)})`),
    );
    children.set(name, child);
    return child;
  };

  const startService = async (service: ClusterService) => {
    spawnLogged(
      service,
      options.binaries.server,
      [...configArgs(DEPLOY_FILES.serverConfigDir), '--allow-no-auth', 'start', '--service', service],
      { TEMPORAL_CLUSTER_METRICS_PORT: String(metricsPort(service)) },
    );
    await waitForPort(READY_PORTS[service] + offset, 60_000, () => exits.get(service) ?? null);
  };

  const stopAll = async () => {
    const ui = children.get('ui');
    if (ui) await stopProcess(ui);
    // Workers of the engine may still poll: take the frontend away last, history before matching.
    for (const service of ['worker', 'history', 'matching', 'frontend'] as const) {
      const child = children.get(service);
      if (child) await stopProcess(child);
    }
  };

  try {
    // History first: the others look for it in membership as they start.
    for (const service of ['history', 'matching', 'frontend', 'worker'] as const) {
      await startService(service);
      say(
        `${service} started (pid ${children.get(service)?.pid}, ${service === 'worker' ? 'membership' : 'gRPC'} 127.0.0.1:${READY_PORTS[service] + offset})`,
      );
    }
    const address = `127.0.0.1:${CLUSTER_PORTS.frontend + offset}`;
    await waitForFrontend(address, 60_000, () => [...exits.values()][0] ?? null);
    await registerNamespace({
      address,
      namespace: options.namespace,
      retentionDays: options.retentionDays,
      searchAttributes: options.searchAttributes,
      timeoutMs: 60_000,
    });
    say(
      `namespace ${options.namespace} (retention ${options.retentionDays} days) with ${Object.keys(options.searchAttributes).length} search attributes`,
    );

    let uiUrl: string | null = null;
    if (options.uiPort !== null) {
      const uiPort = options.uiPort;
      spawnLogged('ui', options.binaries.uiServer, [...configArgs(DEPLOY_FILES.uiConfigDir), 'start'], {
        TEMPORAL_CLUSTER_UI_FRONTEND: address,
        TEMPORAL_CLUSTER_UI_PORT: String(uiPort),
      });
      await waitForPort(uiPort, 30_000, () => exits.get('ui') ?? null);
      uiUrl = `http://127.0.0.1:${uiPort}`;
    }

    return {
      address,
      uiUrl,
      namespace: options.namespace,
      metricsUrls: Object.fromEntries(CLUSTER_SERVICES.map((s) => [s, `http://127.0.0.1:${metricsPort(s)}/metrics`])) as Record<
        ClusterService,
        string
      >,
      pid: (service) => children.get(service)?.pid,
      async restart(service, restartOptions = {}) {
        const child = children.get(service);
        if (child) {
          if (restartOptions.signal === 'SIGKILL') {
            const gone = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGKILL');
            await gone;
          } else await stopProcess(child);
        }
        if (restartOptions.downMs) await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
        await startService(service);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
