/**
 * The delivery worker: workflows from workflows/ (bundled from source, or a prebuilt bundle) and the injected
 * activities, on the configured task queue.
 */
import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { DeliveryActivities } from '../../activities';
import type { Config } from '../config';
import type { WorkerMetrics } from '../metrics/metric-definitions';
import { withTracing } from '../tracing';
import { deliveryMetricsInterceptor } from './delivery-metrics.interceptor';

/** workflows/index.ts under ts-node and Jest, workflows/index.js in the built output. */
export const WORKFLOWS_PATH = require.resolve(path.join(__dirname, '..', '..', 'workflows'));

export interface CreateWorkerOptions {
  readonly config: Pick<Config, 'temporal'>;
  readonly connection: NativeConnection;
  readonly activities: DeliveryActivities;
  /** Defaults to config.temporal.taskQueue (tests pass a unique one). */
  readonly taskQueue?: string;
  /** A bundle made once with bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH }) (tests: once per file). */
  readonly workflowBundle?: WorkflowBundle;
  /** How long running activities get to finish on shutdown before they are cancelled. */
  readonly shutdownGraceTime?: number | string;
  /** Counts succeeded and failed deliveries (the process's worker metrics); none when absent. */
  readonly metrics?: WorkerMetrics;
}

/**
 * Slots. The local first attempt (HTTP up to 5 s) runs while its workflow task is open, so workflow-task slots bound
 * in-flight first attempts as activity slots bound the later ones: both get the activity default (100) rather than the
 * workflow-task default (40). Local activities get as many.
 */
export const WORKER_SLOTS = {
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 100,
  maxConcurrentActivityTaskExecutions: 100,
} as const;

export function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create(
    withTracing({
      connection: options.connection,
      namespace: options.config.temporal.namespace,
      taskQueue: options.taskQueue ?? options.config.temporal.taskQueue,
      activities: options.activities,
      // Above the 5 s HTTP attempt, below the process's 10 s stop bound (src/shared/process-lifecycle.ts).
      shutdownGraceTime: options.shutdownGraceTime ?? '7 seconds',
      ...WORKER_SLOTS,
      interceptors: options.metrics ? { activity: [deliveryMetricsInterceptor(options.metrics)] } : undefined,
      ...code,
    }),
  );
}
