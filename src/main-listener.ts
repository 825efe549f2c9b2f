import { createActivities } from '../activities';
import { describeConfig, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { createDeliveryStarter } from './events/delivery-starter';
import { startEventListenerService } from './events/event-listener.service';
import { createListenerTemporalClient } from './events/temporal-connection';
import { createLogger } from './logger';
import { superviseProcess } from './shared/process-lifecycle';
import { registerListenerMetrics } from './metrics/listener-metrics';
import { defineWorkerMetrics } from './metrics/metric-definitions';
import { startMetricsServer } from './metrics/metrics-server';
import { createMetricsRegistry } from './metrics/registry';
import { registerRetentionSchedule } from './retention/retention-schedule';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from './worker/activity-deps';
import { startEmbeddedWorker } from './worker/embedded-worker';

/**
 * Composition root of the Redis listener process: config, Postgres, Temporal client (lazy: Temporal may be down),
 * the Redis subscriber with intake and dispatcher, the periodic sweep, by default an embedded delivery worker
 * (eager workflow start; WEBHOOKS_LISTENER_EMBEDDED_WORKER=false for a listener only), and a graceful shutdown. Redis and Temporal
 * outages are logged and survived; at start-up it waits for Postgres. Only invalid configuration stops it.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('webhooks-listener', config.logLevel);
  logger.info({ config: describeConfig(config) }, 'starting');

  const dataSource = createDataSource(config.databaseUrl, { poolSize: 10 });
  // Postgres may come up after the listener (compose, a restart): wait for it rather than exit.
  for (let attempt = 1; !dataSource.isInitialized; attempt += 1) {
    try {
      await dataSource.initialize();
    } catch (error) {
      const retryInMs = Math.min(10_000, 500 * 2 ** (attempt - 1));
      logger.error({ err: error instanceof Error ? error.message : String(error), attempt, retryInMs }, 'postgres unreachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
  const { connection, client } = createListenerTemporalClient(config);
  // The listener's registry also counts the deliveries its embedded worker makes (the worker metrics).
  const registry = createMetricsRegistry('listener');
  const workerMetrics = config.listenerEmbeddedWorker ? defineWorkerMetrics(registry) : undefined;
  // In the background: Temporal may be down now; until the worker runs, starts go through the lazy client.
  // The activities are built now: a missing WEBHOOKS_ENCRYPTION_KEY is a configuration error and stops start-up.
  const limiterRedis = config.listenerEmbeddedWorker ? createRateLimiterRedis(config.redisUrl) : null;
  const embedded = limiterRedis
    ? startEmbeddedWorker({
        config,
        logger,
        activities: createActivities(buildActivityDeps({ config, dataSource, logger, metrics: workerMetrics, redis: limiterRedis })),
        metrics: workerMetrics,
      })
    : null;
  // A listener hosting a worker registers the retention Schedule too (idempotent: still one), so a deployment of
  // listeners alone keeps its retention.
  const retention = embedded ? registerRetentionSchedule({ client, config, logger }) : null;
  const startDelivery = createDeliveryStarter({ client, config, eagerClient: embedded?.eagerClient });

  const service = startEventListenerService({ config, dataSource, temporal: client, logger, startDelivery });
  // The stream reader's gauges (consumer-group lag, pending entries) beside the intake's counters.
  registerListenerMetrics(registry, service, { stream: service.stream ? () => service.stream?.status() ?? null : undefined });
  const metricsServer = await startMetricsServer({ registry, host: config.host, port: config.metrics.listenerPort, logger });
  logger.info(
    { channel: config.redisChannel, stream: config.redisStream?.key ?? null, group: config.redisStream?.group ?? null, taskQueue: config.temporal.taskQueue },
    'listener started',
  );

  // Messages in hand that are not stored when the bound cuts the stop short stay pending on the stream for another
  // listener to claim; Pub/Sub messages in hand are lost with the process (the lossy way in).
  superviseProcess({
    logger,
    stop: async () => {
      retention?.stop();
      await service.stop();
      await embedded?.stop();
      await retention?.done;
      await Promise.allSettled([dataSource.destroy(), connection.close(), metricsServer.close(), limiterRedis && closeRateLimiterRedis(limiterRedis)]);
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`webhooks-listener failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
