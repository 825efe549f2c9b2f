/**
 * The delivery worker on the process's infrastructure: the activities with their real collaborators, the Temporal
 * worker, and the retention Schedule's registration (idempotent: one Schedule whatever the number of workers, so a
 * deployment of listeners with embedded workers alone keeps its retention too). Two ways to host it:
 * - its own process: the SDK's metrics exporter and a /metrics server, a worker that must connect at start, and
 *   `ended` settling when the worker stops by itself (a fatal SDK error);
 * - embedded in the listener: started in the background and retried while Temporal is unreachable, with a client on
 *   its own connection for eager workflow start (see src/worker/embedded-worker.ts).
 */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { MetricsServer } from '../metrics/metrics-server';
import { defineWorkerMetrics } from '../metrics/metric-definitions';
import { startMetricsServer } from '../metrics/metrics-server';
import { registerRetentionSchedule } from '../retention/retention-schedule';
import { buildActivityDeps } from '../worker/activity-deps';
import { createWorker } from '../worker/create-worker';
import { startEmbeddedWorker, type EmbeddedWorker } from '../worker/embedded-worker';
import { installTemporalRuntime } from '../worker/temporal-runtime';
import type { Infrastructure } from './infrastructure';

export interface WorkerOptions {
  /** Hosted in the listener process (its metrics go to the listener's registry and /metrics). */
  readonly embedded?: boolean;
}

export interface DeliveryWorker {
  /** The process worker: resolves once it polls. The embedded one: resolves at once (it starts in the background). */
  start(): Promise<void>;
  /** Stops the retention registration and the worker (in-flight attempts get the worker's 7 s grace time). */
  stop(): Promise<void>;
  /** Settles when the worker has stopped, by stop() or by itself; rejects with a fatal worker error. */
  ended(): Promise<void>;
  /** The client for starts with eager workflow start; undefined while no embedded worker runs. */
  eagerClient(): Client | undefined;
}

export function buildWorker(infra: Infrastructure, options: WorkerOptions = {}): DeliveryWorker {
  const { config, dataSource, logger } = infra;
  if (!options.embedded) {
    // Before any worker connection: the SDK's own metrics are exported from its core on their own port.
    installTemporalRuntime({ host: config.host, sdkMetricsPort: config.metrics.workerSdkPort, logger });
    if (config.metrics.workerSdkPort !== null) {
      logger.info({ host: config.host, port: config.metrics.workerSdkPort }, 'Temporal SDK metrics listening on /metrics');
    }
  }
  const metrics = defineWorkerMetrics(infra.metrics);
  // Built now: a missing WEBHOOKS_ENCRYPTION_KEY is a configuration error and stops start-up.
  const activities = createActivities(buildActivityDeps({ config, dataSource, logger, metrics, redis: infra.redis() }));
  let retention: ReturnType<typeof registerRetentionSchedule> | undefined;
  const registerRetention = () => {
    retention = registerRetentionSchedule({ client: infra.temporalClient().client, config, logger });
  };

  if (options.embedded) {
    let embedded: EmbeddedWorker | undefined;
    let stopped = Promise.resolve();
    return {
      async start() {
        embedded = startEmbeddedWorker({ config, logger, temporal: infra.temporal, activities, metrics });
        registerRetention();
      },
      stop() {
        retention?.stop();
        stopped = (async () => {
          await embedded?.stop();
          await retention?.done;
        })();
        return stopped;
      },
      ended: () => stopped,
      eagerClient: () => embedded?.eagerClient(),
    };
  }

  let worker: Worker | undefined;
  let running: Promise<void> = Promise.resolve();
  return {
    async start() {
      const metricsServer: MetricsServer = await startMetricsServer({
        registry: infra.metrics,
        host: config.host,
        port: config.metrics.workerPort,
        logger,
      });
      const connection = await infra.temporal.connectWorker();
      const created = await createWorker({ config, connection, activities, metrics });
      worker = created;
      registerRetention();
      logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
      running = created.run().finally(async () => {
        retention?.stop();
        await retention?.done;
        await Promise.allSettled([connection.close(), metricsServer.close()]);
      });
    },
    async stop() {
      retention?.stop();
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    ended: () => running,
    eagerClient: () => undefined,
  };
}
