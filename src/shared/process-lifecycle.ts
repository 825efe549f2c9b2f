/**
 * How every engine process lives and ends: SIGINT/SIGTERM stop it, and it exits within a stated bound whatever its
 * dependencies' state (a stop that hangs on an unreachable Redis or Temporal is cut short, and what the process held in
 * hand stays where another process claims it). An unhandled rejection is logged with its context and the process
 * keeps serving; an uncaught exception leaves the process in a state nobody planned, so it is logged and the process
 * stops on purpose with exit code 1 (`npm run dev` and any supervisor restart it).
 */
import type { Logger } from 'pino';
import { errorSummary } from './error-summary';

/** The longest a process takes to exit once asked to stop. */
export const STOP_BOUND_MS = 10_000;

export interface LifecycleOptions {
  readonly logger: Logger;
  /** Stops what the process runs, in reverse order of starting. */
  readonly stop: () => Promise<unknown>;
  readonly stopBoundMs?: number;
  /** Injectable for tests. */
  readonly exit?: (code: number) => void;
  readonly target?: Pick<NodeJS.Process, 'on' | 'once'>;
}

export interface Lifecycle {
  /** Stops the process (as a signal would) and exits with `code`. */
  stopAndExit(reason: string, code: number): Promise<void>;
}

export function superviseProcess(options: LifecycleOptions): Lifecycle {
  const { logger } = options;
  const bound = options.stopBoundMs ?? STOP_BOUND_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const target = options.target ?? process;
  let stopping: Promise<void> | null = null;

  const stopAndExit = (reason: string, code: number): Promise<void> => {
    if (stopping) return stopping;
    logger.info({ reason, stopBoundMs: bound }, 'stopping');
    const force = setTimeout(() => {
      logger.error({ reason, stopBoundMs: bound }, 'stopping took longer than its bound; exiting now');
      exit(code === 0 ? 1 : code);
    }, bound);
    force.unref();
    stopping = (async () => {
      try {
        await options.stop();
        logger.info({ reason }, 'stopped');
      } catch (error) {
        logger.error({ reason, err: errorSummary(error) }, 'stopping failed; exiting');
        code = code === 0 ? 1 : code;
      }
      clearTimeout(force);
      exit(code);
    })();
    return stopping;
  };

  target.once('SIGINT', () => void stopAndExit('SIGINT', 0));
  target.once('SIGTERM', () => void stopAndExit('SIGTERM', 0));
  target.on('unhandledRejection', (reason: unknown) => {
    logger.error(
      { err: errorSummary(reason), stack: reason instanceof Error ? reason.stack : undefined },
      'unhandled rejection; the process keeps serving',
    );
  });
  target.on('uncaughtException', (error: Error) => {
    logger.fatal({ err: errorSummary(error), stack: error.stack }, 'uncaught exception; stopping the process');
    void stopAndExit('uncaughtException', 1);
  });
  return { stopAndExit };
}
