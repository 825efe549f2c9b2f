/**
 * The engine's own intake for the baselines: the same Redis listener, envelope parsing, event store and
 * dispatcher and subscription matching as src/events/event-listener.service.ts (its periodic sweep aside), with `startDelivery` swapped for the baseline's (enqueue a BullMQ job, or
 * deliver inline). So the three systems differ only in what happens after an event is stored and matched.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../../src/config';
import { createDispatcher, type StartDelivery } from '../../src/events/dispatcher';
import { isKnownEventType } from '../../src/events/event-catalog';
import { createEventIntake } from '../../src/events/event-intake';
import { createEventRepository } from '../../src/events/event.repository';
import { startRedisListener } from '../../src/events/redis-listener';
import { createRejectedMessageRepository } from '../../src/events/rejected-message.repository';
import type { Logger } from '../../src/logger';
import { findDispatchTargets } from '../../src/subscriptions/subscription.repository';

export interface BaselineIntake {
  stop(): Promise<void>;
}

export async function startBaselineIntake(
  config: Config,
  dataSource: DataSource,
  startDelivery: StartDelivery,
  logger: Logger,
): Promise<BaselineIntake> {
  const dispatcher = createDispatcher({
    events: createEventRepository(dataSource),
    findSubscriptions: (accountId, eventType) => findDispatchTargets(dataSource, accountId, eventType),
    startDelivery,
    logger,
  });
  const channel = config.redisChannel;
  if (channel === null) throw new Error('the baseline intake needs WEBHOOKS_REDIS_CHANNEL');
  const intake = createEventIntake({
    channel,
    rules: { isKnownType: isKnownEventType },
    dispatcher,
    rejected: createRejectedMessageRepository(dataSource),
    logger,
  });
  const listener = startRedisListener({ redisUrl: config.redisUrl, channel, onMessage: (raw) => intake.handle(raw), logger });
  await listener.whenSubscribed(30_000);
  return {
    async stop() {
      await listener.stop();
      await intake.stop();
      await dispatcher.stop();
    },
  };
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
