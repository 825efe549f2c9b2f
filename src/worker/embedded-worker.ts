/**
 * A delivery worker hosted in the listener process (WEBHOOKS_LISTENER_EMBEDDED_WORKER), on its own NativeConnection,
 * with a Temporal client built on that same connection: starts made through it ask for eager workflow start, so the
 * server hands the first workflow task straight back to this worker (no matching, no poll, one persistence update
 * fewer per delivery). The worker is an ordinary one: it also polls the task queue beside any separate workers.
 *
 * Temporal may be down when the listener starts, and the listener must still store events then: the worker is
 * started in the background and retried with backoff until it runs; until then (and whenever it is not running)
 * `eagerClient()` is undefined and the listener starts deliveries through its own lazy client, without eager start.
 *
 * ```ts
 * const embedded = startEmbeddedWorker({ config, logger, temporal, activities: createActivities(buildActivityDeps({ config, dataSource, logger })) });
 * const startDelivery = createDeliveryStarter({ client, config, eagerClient: embedded.eagerClient });
 * // ... on shutdown, after the listener stopped starting deliveries:
 * await embedded.stop();
 * ```
 */
import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { DeliveryActivities } from '../../activities';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { WorkerMetrics } from '../metrics/metric-definitions';
import { backoffDelay } from '../shared/backoff';
import { errorSummary } from '../shared/error-summary';
import type { TemporalConnections } from '../temporal/connections';
import { activeTracing } from '../tracing';
import { createWorker } from './create-worker';
import { installSdkLogger } from './sdk-logger';

export interface EmbeddedWorkerDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** The process's Temporal connection factory (the worker's own connection is made by it). */
  readonly temporal: TemporalConnections;
  /** The delivery activities, built by the composition root (the benchmark's floor passes no-op ones). */
  readonly activities: DeliveryActivities;
  /** Counts the deliveries this worker finishes (the process's worker metrics); none when absent. */
  readonly metrics?: WorkerMetrics;
  /** Backoff between start attempts while Temporal is unreachable (default 500 ms doubling to 10 s). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

export interface EmbeddedWorker {
  /** The client on the running worker's connection, for starts with requestEagerStart; undefined while not running. */
  eagerClient(): Client | undefined;
  /** Resolves once the worker is polling (tests; the listener does not wait for it). */
  whenRunning(): Promise<void>;
  /** Stops retrying, shuts the worker down (in-flight attempts get the worker's grace time), closes its connection. */
  stop(): Promise<void>;
}

export function startEmbeddedWorker(deps: EmbeddedWorkerDeps): EmbeddedWorker {
  const { config, logger, activities } = deps;
  installSdkLogger(logger);
  const retryBackoff = { initialMs: deps.retryInitialMs ?? 500, maxMs: deps.retryMaxMs ?? 10_000 };

  let stopping = false;
  let current: { connection: NativeConnection; worker: Worker; client: Client } | undefined;
  let wakeUp: (() => void) | undefined;
  let markRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    markRunning = resolve;
  });

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async () => {
    for (let attempt = 1; !stopping;) {
      let connection: NativeConnection | undefined;
      try {
        connection = await deps.temporal.connectWorker();
        const worker = await createWorker({ config, connection, activities, metrics: deps.metrics });
        if (stopping) {
          await connection.close();
          return;
        }
        const client = new Client({
          connection,
          namespace: config.temporal.namespace,
          interceptors: activeTracing()?.clientInterceptors(),
        });
        const run = worker.run();
        current = { connection, worker, client };
        attempt = 1;
        markRunning();
        logger.info({ taskQueue: config.temporal.taskQueue }, 'embedded worker started');
        await run;
        logger.info('embedded worker stopped');
      } catch (error) {
        const retryInMs = backoffDelay(retryBackoff, attempt);
        logger.error({ err: errorSummary(error), attempt, retryInMs }, 'embedded worker not running; retrying');
        attempt += 1;
        current = undefined;
        await connection?.close().catch(() => undefined);
        if (!stopping) await pause(retryInMs);
        continue;
      }
      current = undefined;
      await connection.close().catch(() => undefined);
    }
  };
  const looping = loop();

  return {
    eagerClient: () => (current && current.worker.getState() === 'RUNNING' ? current.client : undefined),
    whenRunning: () => running,
    async stop() {
      stopping = true;
      wakeUp?.();
      const worker = current?.worker;
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await looping;
    },
  };
}
