/**
 * The listener process's parts wired together (used by src/main-listener.ts and by the integration tests):
 * Redis subscriber -> intake (parse, reject or store) -> dispatcher (one workflow per matching subscription),
 * plus the sweep that re-dispatches events left undispatched, once at start-up and then periodically.
 */
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { findActiveSubscriptionsForEvent } from '../subscriptions/subscription.repository';
import { createDeliveryStarter } from './delivery-starter';
import { createDispatcher, type Dispatcher, type DispatcherOptions, type StartDelivery } from './dispatcher';
import { MAX_ENVELOPE_BYTES } from './envelope';
import { isKnownEventType } from './event-catalog';
import { createEventIntake, type EventIntake } from './event-intake';
import { createEventRepository } from './event.repository';
import { startRedisListener, type RedisListener, type RedisListenerStatus } from './redis-listener';
import { createRejectedMessageRepository } from './rejected-message.repository';

export interface EventListenerServiceDeps {
  config: Pick<Config, 'redisUrl' | 'redisChannel' | 'temporal' | 'delivery'>;
  dataSource: DataSource;
  temporal: Client;
  logger: Logger;
  /** Default 15 s. */
  sweepIntervalMs?: number;
  dispatcher?: DispatcherOptions;
  /** Replaces the Temporal starter (tests use it to observe starts); defaults to createDeliveryStarter. */
  startDelivery?: StartDelivery;
  maxMessageBytes?: number;
}

export interface EventListenerService {
  readonly dispatcher: Dispatcher;
  readonly intake: EventIntake;
  readonly listener: RedisListener;
  status(): RedisListenerStatus;
  /** Stops taking messages, finishes the ones in hand, cancels the sweep and background retries. */
  stop(): Promise<void>;
}

export function startEventListenerService(deps: EventListenerServiceDeps): EventListenerService {
  const { config, dataSource, logger } = deps;
  const dispatcher = createDispatcher({
    events: createEventRepository(dataSource),
    findSubscriptions: (accountId, eventType) => findActiveSubscriptionsForEvent(dataSource, accountId, eventType),
    startDelivery: deps.startDelivery ?? createDeliveryStarter({ client: deps.temporal, config }),
    logger,
    options: deps.dispatcher,
  });
  const intake = createEventIntake({
    channel: config.redisChannel,
    rules: { isKnownType: isKnownEventType, maxBytes: deps.maxMessageBytes ?? MAX_ENVELOPE_BYTES },
    dispatcher,
    rejected: createRejectedMessageRepository(dataSource),
    logger,
  });
  const listener = startRedisListener({
    redisUrl: config.redisUrl,
    channel: config.redisChannel,
    onMessage: (raw) => intake.handle(raw),
    logger,
  });

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = dispatcher.sweep().catch((error: unknown) => {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'sweep failed; next one will retry');
    });
  };
  sweep();
  const timer = setInterval(sweep, deps.sweepIntervalMs ?? 15_000);

  return {
    dispatcher,
    intake,
    listener,
    status: () => listener.status(),
    async stop() {
      clearInterval(timer);
      await listener.stop();
      await intake.stop();
      await sweeping;
      await dispatcher.stop();
    },
  };
}
