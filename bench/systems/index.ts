/** The systems under test, each started as real processes with the engine's configuration. */
import { startNodeChild } from '../children';
import { engineEnv, type RunningSystem, type SystemContext, type SystemUnderTest } from './system';

/** The engine worker's default activity slots (Temporal's maxConcurrentActivityTaskExecutions): the baselines get the same. */
export const BASELINE_CONCURRENCY = 100;
/** The engine's processes each use a pool of 10 Postgres connections; so do the baselines'. */
export const BASELINE_POOL_SIZE = 10;

function stopAllOf(children: RunningSystem['processes']): () => Promise<void> {
  return async () => {
    await Promise.all(children.map((child) => child.stop(15_000)));
  };
}

export const engine: SystemUnderTest = {
  name: 'engine',
  describe:
    'the engine as the production scripts run it: src/main-listener.ts (with its embedded worker: eager start) + src/main-worker.ts on Temporal ' +
    '(workflow per delivery: the first attempt a local activity, later ones the regular activity, a second activity to record a failure)',
  async start(context: SystemContext) {
    const separate = context.engineLayout === 'separate';
    const env = engineEnv(context, { WEBHOOKS_LISTENER_EMBEDDED_WORKER: separate ? 'false' : 'true' });
    const logDir = context.env.logDir;
    const count = context.workers ?? 1;
    // The profiled process is the one that makes the deliveries: the listener's embedded worker, or the (first) worker.
    const workers = Array.from({ length: count }, (_, i) =>
      startNodeChild(count === 1 ? 'engine-worker' : `engine-worker-${i + 1}`, 'src/main-worker.ts', {
        env,
        logDir,
        nodeArgs: separate && i === 0 ? context.workerNodeArgs : [],
      }),
    );
    const listener = startNodeChild('engine-listener', 'src/main-listener.ts', {
      env,
      logDir,
      nodeArgs: separate ? [] : context.workerNodeArgs,
    });
    const processes = [listener, ...workers];
    return { processes, stop: stopAllOf(processes) };
  },
};

export const floor: SystemUnderTest = {
  name: 'floor',
  describe:
    "Temporal's floor for the engine's shape: the engine's Redis listener, delivery starter (eager), embedded worker and workflow with a no-op " +
    'sendWebhook (no Postgres, no signing, no HTTP), same dev server',
  async start(context: SystemContext) {
    const env = engineEnv(context);
    const child = startNodeChild('floor', 'bench/systems/floor-process.ts', {
      env,
      logDir: context.env.logDir,
      nodeArgs: context.workerNodeArgs,
      args: [
        `--receipts-url=${new URL('/floor-receipts', context.receiverUrl).toString()}`,
        `--subscription-id=${context.env.subscriptionId}`,
        `--target-url=${context.receiverUrl}`,
      ],
    });
    return { processes: [child], stop: stopAllOf([child]) };
  },
};

export const bullmq: SystemUnderTest = {
  name: 'bullmq',
  describe: `BullMQ: the engine's intake enqueues a job per delivery; a BullMQ worker (concurrency ${BASELINE_CONCURRENCY}) runs the same delivery job`,
  async start(context: SystemContext) {
    const env = engineEnv(context);
    const logDir = context.env.logDir;
    const queue = `--queue=bench-${context.env.runId}`;
    const pool = `--pool-size=${BASELINE_POOL_SIZE}`;
    const worker = startNodeChild('bullmq-worker', 'bench/systems/bullmq-process.ts', {
      env,
      logDir,
      nodeArgs: context.workerNodeArgs,
      args: ['--role=worker', queue, pool, `--concurrency=${BASELINE_CONCURRENCY}`],
    });
    const listener = startNodeChild('bullmq-listener', 'bench/systems/bullmq-process.ts', {
      env,
      logDir,
      args: ['--role=listener', queue, pool],
    });
    const processes = [listener, worker];
    return { processes, stop: stopAllOf(processes) };
  },
};

export const direct: SystemUnderTest = {
  name: 'direct',
  describe: `direct loop: the engine's intake calls the same delivery job inline, at most ${BASELINE_CONCURRENCY} at once`,
  async start(context: SystemContext) {
    const env = engineEnv(context);
    const child = startNodeChild('direct', 'bench/systems/direct-process.ts', {
      env,
      logDir: context.env.logDir,
      nodeArgs: context.workerNodeArgs,
      args: [`--concurrency=${BASELINE_CONCURRENCY}`, `--pool-size=${BASELINE_POOL_SIZE}`],
    });
    return { processes: [child], stop: stopAllOf([child]) };
  },
};

export const SYSTEMS: Record<SystemUnderTest['name'], SystemUnderTest> = { engine, floor, bullmq, direct };
