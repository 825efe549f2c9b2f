/**
 * The engine's own intake for the baselines: the listener built by src/app/listener.ts (Redis Pub/Sub, envelope
 * parsing, event store, dispatcher, subscription matching) with `startDelivery` swapped for the baseline's (enqueue a
 * BullMQ job, or deliver inline). So the three systems differ only in what happens after an event is stored and
 * matched.
 */
import { openInfrastructure, type Infrastructure } from '../../src/app/infrastructure';
import { buildListener } from '../../src/app/listener';
import type { Config } from '../../src/config';
import type { StartDelivery } from '../../src/events/dispatcher';
import type { Logger } from '../../src/logger';

/** A baseline's listener process's infrastructure: Pub/Sub is its only way in. */
export function openBaselineInfrastructure(config: Config, logger: Logger, poolSize: number): Promise<Infrastructure> {
  return openInfrastructure({ ...config, redisStream: null }, { role: 'listener', logger, poolSize });
}

export interface BaselineIntake {
  stop(): Promise<void>;
}

export async function startBaselineIntake(infra: Infrastructure, startDelivery: StartDelivery): Promise<BaselineIntake> {
  if (infra.config.redisChannel === null) throw new Error('the baseline intake needs WEBHOOKS_REDIS_CHANNEL');
  const listener = buildListener(infra, {
    // The sweep's first pass runs at start on an empty store; its periodic passes are left out of the measure.
    service: { startDelivery, sweepIntervalMs: 3_600_000 },
    embeddedWorker: false,
    metricsServer: false,
  });
  await listener.start();
  await listener.service().whenReady(30_000);
  return { stop: () => listener.stop() };
}

/** Reads `--name=value` arguments of a benchmark process. */
export function argValue(name: string, fallback?: string): string {
  const prefix = `--${name}=`;
  const found = process.argv.find((arg) => arg.startsWith(prefix));
  if (found) return found.slice(prefix.length);
  if (fallback !== undefined) return fallback;
  throw new Error(`missing argument --${name}`);
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits (a clean exit also writes a --cpu-prof profile). */
export function exitOnSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => handler('SIGTERM'));
  process.once('SIGINT', () => handler('SIGINT'));
}
