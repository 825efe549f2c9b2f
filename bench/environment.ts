/**
 * What every system under test shares: a Temporal of its own (by default a dev server: free ports, headless, in
 * memory, the engine's search attributes from temporal-dev.yaml; with --temporal=cluster a real cluster, see
 * bench/cluster-environment.ts), a Postgres database of its own (migrated with the engine's migrate(), dropped at
 * the end), one subscription pointing at the receiver, and the processes the CPU monitor watches (Temporal's,
 * Postgres backends of this database, redis-server).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createSecretBox } from '../src/crypto/secret-box';
import { createDataSource } from '../src/app/data-source';
import { dropDatabase } from '../src/db/ensure-database';
import { migrate } from '../src/app/migrate';
import { readTemporalDevConfig, startDevArgs } from '../tools/dev/temporal-dev-config';
import { startTemporalDevServer, temporalCliPath, type RunningDevServer } from '../tools/dev/temporal-dev-server';
import { createSubscriptionRepository } from '../src/subscriptions/subscription.repository';
import { generateSigningSecret, sealNewSecret } from '../src/subscriptions/signing-secrets';
import { freePort } from '../test/helpers/free-port';
import { track } from './children';
import { startBenchCluster } from './cluster-environment';
import { withDescendants } from './proc-monitor';
import type { TemporalTarget } from './temporal-target';

export interface BenchEnvironment {
  runId: string;
  logDir: string;
  temporal: Pick<RunningDevServer, 'address' | 'namespace'>;
  temporalKind: TemporalTarget['kind'];
  /** The exact command line of the dev server (or the cluster's service command). */
  temporalCommand: string;
  temporalDetails?: string[];
  temporalGroups: TemporalTarget['groups'];
  /** Prometheus endpoints of Temporal (request counters). */
  temporalMetricsUrls: Record<string, string>;
  temporalDatabaseCommits?: () => Promise<number>;
  databaseUrl: string;
  databaseName: string;
  dataSource: DataSource;
  redisUrl: string;
  redis: Redis;
  encryptionKey: string;
  accountId: string;
  subscriptionId: string;
  signingSecret: string;
  /** Pids of the Postgres backends connected to this run's database (the monitor's own connection excluded). */
  postgresBackendPids(): Promise<number[]>;
  redisServerPids(): Promise<number[]>;
  /** Cumulative pg_stat_database counters of this run's database. */
  databaseCounters(): Promise<DatabaseCounters>;
  close(): Promise<void>;
}

export interface DatabaseCounters {
  xactCommit: number;
  tupInserted: number;
  tupUpdated: number;
  tupFetched: number;
}

export const BASE_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A dev server of the run's own: free ports, headless, in memory, the search attributes of temporal-dev.yaml. */
async function startDevTarget(logDir: string): Promise<TemporalTarget> {
  const [port, uiPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const overrides = { port, uiPort, httpPort, metricsPort, dbFilename: null, logLevel: 'error' };
  const temporal = await startTemporalDevServer({ config: overrides, headless: true, logFile: path.join(logDir, 'temporal.log') });
  track(temporal.process);
  return {
    kind: 'dev',
    temporal,
    command: [temporalCliPath(), ...startDevArgs({ ...readTemporalDevConfig(), ...overrides }, { headless: true })].join(' '),
    groups: [['temporal-server', () => withDescendants(temporal.process.pid as number)]],
    metricsUrls: { server: `http://127.0.0.1:${metricsPort}/metrics` },
    stop: () => temporal.stop(),
  };
}

export async function setUpEnvironment(
  runId: string,
  logDir: string,
  options: { temporal: TemporalTarget['kind']; log: (line: string) => void } = { temporal: 'dev', log: () => undefined },
): Promise<BenchEnvironment> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const target =
      options.temporal === 'cluster'
        ? await startBenchCluster(runId, logDir, BASE_DATABASE_URL, options.log)
        : await startDevTarget(logDir);
    cleanups.push(() => target.stop());

    const databaseName = `webhooks_bench_${runId}`;
    const url = new URL(BASE_DATABASE_URL);
    url.pathname = `/${databaseName}`;
    const databaseUrl = url.toString();
    cleanups.push(() => dropDatabase(databaseUrl));
    await migrate(databaseUrl);

    const dataSource = createDataSource(databaseUrl, { poolSize: 2 });
    await dataSource.initialize();
    cleanups.push(() => dataSource.destroy());

    // The monitor's own connection goes to the `postgres` database, so it is never counted as a backend of the run.
    const monitorClient = new Client({ connectionString: BASE_DATABASE_URL });
    await monitorClient.connect();
    cleanups.push(() => monitorClient.end());

    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, connectionName: `bench-${runId}` });
    cleanups.push(async () => redis.disconnect());

    const encryptionKey = randomBytes(32).toString('base64');
    const box = createSecretBox(Buffer.from(encryptionKey, 'base64'));
    const signingSecret = generateSigningSecret();
    const accountId = `bench-${runId}`;
    const subscriptionId = randomUUID();
    await createSubscriptionRepository(dataSource).insert({
      id: subscriptionId,
      accountId,
      // Replaced with the receiver's URL once it listens (setSubscriptionUrl).
      url: 'http://127.0.0.1:9/hook',
      events: ['*'],
      description: 'benchmark receiver',
      isActive: true,
      // Every benchmark event matches it: the engine's figures include evaluating a payload filter per event.
      filter: { seq: { $gte: 0 }, text: { $exists: true } },
      secrets: [sealNewSecret(box, subscriptionId, signingSecret, new Date())],
    });

    const serverInfo = await redis.info('server');
    const redisPid = Number(/process_id:(\d+)/.exec(serverInfo)?.[1]);

    return {
      runId,
      logDir,
      temporal: target.temporal,
      temporalKind: target.kind,
      temporalCommand: target.command,
      temporalDetails: target.details,
      temporalGroups: target.groups,
      temporalMetricsUrls: target.metricsUrls,
      temporalDatabaseCommits: target.databaseCommits,
      databaseUrl,
      databaseName,
      dataSource,
      redisUrl: REDIS_URL,
      redis,
      encryptionKey,
      accountId,
      subscriptionId,
      signingSecret,
      postgresBackendPids: async () => {
        const result = await monitorClient.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [databaseName]);
        return result.rows.map((row) => row.pid);
      },
      redisServerPids: async () => (Number.isFinite(redisPid) ? [redisPid] : []),
      databaseCounters: async () => {
        const result = await monitorClient.query<Record<string, string>>(
          'SELECT xact_commit, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = $1',
          [databaseName],
        );
        const row = result.rows[0] ?? {};
        return {
          xactCommit: Number(row.xact_commit ?? 0),
          tupInserted: Number(row.tup_inserted ?? 0),
          tupUpdated: Number(row.tup_updated ?? 0),
          tupFetched: Number(row.tup_fetched ?? 0),
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function setSubscriptionUrl(env: BenchEnvironment, url: string): Promise<void> {
  await createSubscriptionRepository(env.dataSource).update(env.accountId, env.subscriptionId, { url });
}
