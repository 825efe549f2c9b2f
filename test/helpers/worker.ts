/**
 * An in-process delivery worker for integration tests, wired exactly like src/main-worker.ts (buildActivityDeps)
 * on a unique task queue. Get the workflows' bundle with `bundleWorkflows()` (once per test file): bundling costs
 * seconds, so the first file of a run that asks makes it and the others read it from the run's file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { bundleWorkflowCode, Runtime, type WorkflowBundle, type Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Config } from '../../src/config';
import type { Resolver } from '../../src/http/ssrf';
import { createLogger } from '../../src/logger';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from '../../src/worker/activity-deps';
import { createWorker, WORKFLOWS_PATH } from '../../src/worker/create-worker';
import { connectWorker } from '../../src/temporal/connections';

let runtimeQuieted = false;

/** Keeps the SDK's own log lines out of test output unless LOG_LEVEL asks for them. */
function quietRuntime(): void {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  if ((process.env.LOG_LEVEL ?? 'silent') !== 'silent') return;
  try {
    Runtime.install({
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
  } catch {
    // Already installed by an earlier worker in this process: keep it.
  }
}

/**
 * The workflows' bundle. With TEST_WORKFLOW_BUNDLE (a file path the global setup picks for the run), the first call
 * of the run writes the bundle there and later ones, in any test file, read it; without it, every call bundles.
 */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  quietRuntime();
  const file = process.env.TEST_WORKFLOW_BUNDLE;
  if (file && existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
  });
  if (file) {
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, bundle.code);
    renameSync(partial, file);
  }
  return bundle;
}

export interface TestWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  stop(): Promise<void>;
}

export async function startTestWorker(options: {
  config: Config;
  dataSource: DataSource;
  taskQueue: string;
  bundle: WorkflowBundle;
  resolver?: Resolver;
  /** Prefix of the rate limiter's Redis keys (a test that limits subscriptions passes its own and deletes them). */
  rateLimitKeyPrefix?: string;
  /** Changes the wired dependencies (e.g. tags this worker's requests) before the activities are built. */
  decorate?: (deps: ActivityDeps) => ActivityDeps;
}): Promise<TestWorker> {
  quietRuntime();
  const connection = await connectWorker(options.config);
  const logger = createLogger('test-worker', options.config.logLevel);
  const redis = createRateLimiterRedis(options.config);
  const deps = buildActivityDeps({
    config: options.config,
    dataSource: options.dataSource,
    logger,
    resolver: options.resolver,
    redis,
    rateLimitKeyPrefix: options.rateLimitKeyPrefix,
  });
  const activities = createActivities(options.decorate ? options.decorate(deps) : deps);
  const worker = await createWorker({
    config: options.config,
    connection,
    activities,
    taskQueue: options.taskQueue,
    workflowBundle: options.bundle,
    shutdownGraceTime: '1 second',
  });
  const running = worker.run();
  return {
    worker,
    taskQueue: options.taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
      await closeRateLimiterRedis(redis);
    },
  };
}
