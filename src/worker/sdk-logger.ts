/**
 * The Temporal SDK's log lines (worker state, the workflow bundler) as the process's own JSON lines, so that a
 * process hosting a worker next to other work (the listener) writes only JSON to stdout and nothing to stderr.
 * The SDK's info lines (bundler output, state changes) are kept at debug; warnings and errors keep their level.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger as SdkLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger } from '../logger';

export function sdkLoggerFor(logger: Logger): SdkLogger {
  const child = logger.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields = meta ?? {};
    if (level === 'ERROR') child.error(fields, message);
    else if (level === 'WARN') child.warn(fields, message);
    else if (level === 'TRACE') child.trace(fields, message);
    else child.debug(fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Installs the SDK runtime with that logger, once per process, before the first NativeConnection. */
export function installSdkLogger(logger: Logger): void {
  try {
    Runtime.install({ logger: sdkLoggerFor(logger) });
  } catch {
    // A runtime is already installed in this process (a test harness): keep it.
  }
}
