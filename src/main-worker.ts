/**
 * Composition root of the delivery worker: config, Postgres, one Temporal connection, the activities with their
 * real collaborators (guarded HTTP client, secret box), and a graceful shutdown on SIGINT/SIGTERM within STOP_BOUND_MS
 * (in-flight attempts get the worker's grace time; anything cut short is retried by Temporal on another worker).
 */
import { createActivities } from '../activities';
import { describeConfig, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { createLogger } from './logger';
import { errorSummary } from './shared/error-summary';
import { superviseProcess } from './shared/process-lifecycle';
import { defineWorkerMetrics } from './metrics/metric-definitions';
import { startMetricsServer } from './metrics/metrics-server';
import { createMetricsRegistry } from './metrics/registry';
import { registerRetentionSchedule } from './retention/retention-schedule';
import { connectTemporalClient } from './temporal/client';
import { installTemporalRuntime } from './worker/temporal-runtime';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from './worker/activity-deps';
import { connectWorker, createWorker } from './worker/create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('webhooks-worker', config.logLevel);
  logger.info({ config: describeConfig(config) }, 'starting');

  // Before any connection: the SDK's own metrics are exported from its core on their own port.
  installTemporalRuntime({ host: config.host, sdkMetricsPort: config.metrics.workerSdkPort, logger });
  if (config.metrics.workerSdkPort !== null) {
    logger.info({ host: config.host, port: config.metrics.workerSdkPort }, 'Temporal SDK metrics listening on /metrics');
  }
  const registry = createMetricsRegistry('worker');
  const metrics = defineWorkerMetrics(registry);
  const metricsServer = await startMetricsServer({ registry, host: config.host, port: config.metrics.workerPort, logger });

  const dataSource = createDataSource(config.databaseUrl, { poolSize: 10 });
  await dataSource.initialize();
  const connection = await connectWorker(config);
  // The shared rate limiter's Redis (connects when a rate-limited subscription is first delivered to).
  const redis = createRateLimiterRedis(config.redisUrl);
  const activities = createActivities(buildActivityDeps({ config, dataSource, logger, metrics, redis }));
  const worker = await createWorker({ config, connection, activities, metrics });
  // The retention Schedule (hourly retentionWorkflow), registered once whatever the number of workers.
  const temporal = await connectTemporalClient(config);
  const retention = registerRetentionSchedule({ client: temporal.client, config, logger });

  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
  const running = worker.run().finally(async () => {
    retention.stop();
    await retention.done;
    await Promise.allSettled([dataSource.destroy(), connection.close(), temporal.close(), metricsServer.close(), closeRateLimiterRedis(redis)]);
  });
  const lifecycle = superviseProcess({
    logger,
    stop: async () => {
      retention.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  });
  // The worker ended by itself (a fatal error in the SDK): stop the process on purpose with the error.
  void running.then(
    () => lifecycle.stopAndExit('worker stopped', 0),
    (error: unknown) => {
      logger.fatal({ err: errorSummary(error) }, 'the Temporal worker failed');
      return lifecycle.stopAndExit('worker failed', 1);
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`webhooks-worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
