/**
 * A child process of `npm run dev` that is started again when it exits unexpectedly: after a backoff that grows with
 * quick successive crashes (1 s doubling to 30 s) and resets once the child has run for a minute. Every exit and
 * restart is said, so a crash loop is visible and the rest of the stack keeps running.
 */
import type { ChildProcess } from 'node:child_process';
import { backoffDelay, type Backoff } from '../../src/shared/backoff';
import { stopProcess } from './temporal-dev-server';

export const RESTART_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000 };
/** A child that ran this long before exiting counts as healthy: its next restart waits the shortest time again. */
export const HEALTHY_RUN_MS = 60_000;

export interface SupervisedChildOptions {
  readonly name: string;
  readonly start: () => ChildProcess;
  /** True once the runner itself is stopping: an exit then is expected. */
  readonly isStopping: () => boolean;
  readonly say: (line: string) => void;
  readonly backoff?: Backoff;
  readonly healthyRunMs?: number;
}

export interface SupervisedChild {
  /** The running process, or null while waiting to restart. */
  current(): ChildProcess | null;
  /** Times the child was started again after an unexpected exit. */
  restarts(): number;
  stop(): Promise<void>;
}

export function superviseChild(options: SupervisedChildOptions): SupervisedChild {
  const { name, say } = options;
  const backoff = options.backoff ?? RESTART_BACKOFF;
  const healthyRunMs = options.healthyRunMs ?? HEALTHY_RUN_MS;
  let child: ChildProcess | null = null;
  let quickCrashes = 0;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  const launch = () => {
    restartTimer = null;
    const startedAt = Date.now();
    const started = options.start();
    child = started;
    started.once('exit', (code, signal) => {
      child = null;
      if (options.isStopping()) return;
      quickCrashes = Date.now() - startedAt >= healthyRunMs ? 1 : quickCrashes + 1;
      const delay = backoffDelay(backoff, quickCrashes);
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); starting it again in ${Math.round(delay / 1000)} s`);
      restartTimer = setTimeout(() => {
        restarts += 1;
        say(`${name} restarting (restart ${restarts})`);
        launch();
      }, delay);
    });
  };
  launch();

  return {
    current: () => child,
    restarts: () => restarts,
    async stop() {
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      if (child) await stopProcess(child);
    },
  };
}
