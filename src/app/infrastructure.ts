/**
 * What every engine process shares, opened once by its composition root: the logger, the metrics registry, the
 * Postgres data source, the Temporal connection factory with the process's one client, and the process's Redis
 * command connection. `close()` closes what was opened, in reverse order; a close that fails does not keep the
 * others open.
 */
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { describeConfig, type Config } from '../config';
import { createDataSource } from './data-source';
import { createLogger, type Logger } from '../logger';
import { createMetricsRegistry, type MetricsRole } from '../metrics/registry';
import { createRedisClient, type RedisClient } from '../redis/clients';
import { backoffDelay } from '../shared/backoff';
import { errorSummary } from '../shared/error-summary';
import { temporalConnections, type TemporalClientHandle, type TemporalConnections } from '../temporal/connections';
import { startTracing, stopTracing } from '../tracing';
import { closeRateLimiterRedis, createRateLimiterRedis } from '../worker/activity-deps';

export interface Infrastructure {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly dataSource: DataSource;
  /** The one Temporal connection factory: every connection of the process is made by it. */
  readonly temporal: TemporalConnections;
  /** The process's Temporal client, on a lazy connection (made on first use). */
  temporalClient(): TemporalClientHandle;
  /** The process's Redis command connection (made on first use): the API's readiness, the workers' rate limiter. */
  redis(): RedisClient;
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  readonly role: MetricsRole;
  /** Replaces the process's JSON logger on stdout (tests read the lines). */
  readonly logger?: Logger;
  readonly poolSize?: number;
}

/** Per process: the listener waits for Postgres at start (compose, a restart), the others fail fast. */
const ROLES = {
  api: { name: 'webhooks-api', poolSize: undefined, waitForDatabase: false },
  listener: { name: 'webhooks-listener', poolSize: 10, waitForDatabase: true },
  worker: { name: 'webhooks-worker', poolSize: 10, waitForDatabase: false },
} as const;

export async function openInfrastructure(config: Config, options: InfrastructureOptions): Promise<Infrastructure> {
  const role = ROLES[options.role];
  // Before any Temporal client or worker: they take the tracer's interceptors when tracing is configured.
  const tracing = startTracing(process.env, role.name);
  const logger = options.logger ?? createLogger(role.name, config.logLevel, undefined, tracing ? () => tracing.logFields() : undefined);
  logger.info({ config: describeConfig(config) }, 'starting');
  const metrics = createMetricsRegistry(options.role);
  const dataSource = createDataSource(config.databaseUrl, { poolSize: options.poolSize ?? role.poolSize });
  await initialize(dataSource, role.waitForDatabase, logger);
  const temporal = temporalConnections(config);

  let client: TemporalClientHandle | undefined;
  let redis: RedisClient | undefined;
  return {
    config,
    logger,
    metrics,
    dataSource,
    temporal,
    temporalClient: () => (client ??= temporal.lazyClient()),
    redis: () => (redis ??= openRedis(config, options.role, logger)),
    async close() {
      await Promise.allSettled([client?.close()]);
      await Promise.allSettled([redis && closeRedis(redis, options.role)]);
      await Promise.allSettled([dataSource.destroy()]);
      await Promise.allSettled([stopTracing()]);
    },
  };
}

async function initialize(dataSource: DataSource, wait: boolean, logger: Logger): Promise<void> {
  for (let attempt = 1; !dataSource.isInitialized; attempt += 1) {
    try {
      await dataSource.initialize();
    } catch (error) {
      if (!wait) throw error;
      const retryInMs = backoffDelay({ initialMs: 500, maxMs: 10_000 }, attempt);
      logger.error({ err: errorSummary(error), attempt, retryInMs }, 'postgres unreachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

/**
 * The API pings Redis for readiness: connected at once, a command fails at once while Redis is away. The workers'
 * rate limiter connects when a rate-limited subscription is first delivered to.
 */
function openRedis(config: Config, role: MetricsRole, logger: Logger): RedisClient {
  if (role !== 'api') return createRateLimiterRedis(config);
  const redis = createRedisClient(config, {
    connectionName: 'webhooks-api',
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', (error: Error) => logger.warn({ error: error.message }, 'redis connection error'));
  return redis;
}

async function closeRedis(redis: RedisClient, role: MetricsRole): Promise<void> {
  // An unreachable Redis would keep QUIT queued: the API disconnects.
  if (role === 'api') redis.disconnect();
  else await closeRateLimiterRedis(redis);
}
