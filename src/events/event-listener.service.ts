/**
 * The listener process's parts wired together (used by src/main-listener.ts and by the integration tests):
 * two ways in, the Pub/Sub subscriber and the stream reader (each optional, both on by default) -> one intake
 * (parse, reject or store) -> one dispatcher (one workflow per matching subscription), plus the sweep that
 * re-dispatches events left undispatched, once at start-up and then periodically. One in-hand limiter bounds the
 * messages both ways in hold at once.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { errorSummary } from '../shared/error-summary';
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  type FindMatchingSubscriptions,
  type ReserveLanePlaces,
  type StartDelivery,
} from './dispatcher';
import { MAX_ENVELOPE_BYTES, oversizedReason } from './envelope';
import { isKnownEventType } from './event-catalog';
import { createEventIntake, type EventIntake } from './event-intake';
import { createEventRepository } from './event.repository';
import { createLaneRepository } from '../lanes/lane.repository';
import { createInHandLimiter, type InHandLimiter } from './in-hand-limiter';
import { startRedisListener, type RedisListener, type RedisListenerStatus } from './redis-listener';
import { createRejectedMessageRepository, MAX_STORED_RAW_CHARS } from './rejected-message.repository';
import { startStreamReader, type StreamReader, type StreamReaderStatus } from './stream';

export interface EventListenerServiceDeps {
  config: Pick<Config, 'redisUrl' | 'redisTopology' | 'redisChannel' | 'redisStream' | 'listenerMaxInHand' | 'temporal' | 'delivery'>;
  dataSource: DataSource;
  /** The active subscriptions an event goes to (the subscriptions slice's lookup, wired by the composition root). */
  findSubscriptions: FindMatchingSubscriptions;
  /** Lane places of events with an orderingKey (default: the lanes slice's, on `dataSource`). */
  reserveLanePlaces?: ReserveLanePlaces;
  logger: Logger;
  /** Default 15 s. */
  sweepIntervalMs?: number;
  dispatcher?: DispatcherOptions;
  /** Starts one delivery (the deliveries slice's starter, or a test's observing one), wired by the composition root. */
  startDelivery: StartDelivery;
  maxMessageBytes?: number;
  /** The stream consumer name (default: unique per process and reader). */
  streamConsumer?: string;
}

/** The connection state of each way in (null: that way in is off). */
export interface EventListenerStatus {
  readonly pubsub: RedisListenerStatus | null;
  readonly stream: StreamReaderStatus | null;
}

/** Counters (since start) and gauges (now) of the listener, for /metrics and for tests. */
export interface EventListenerStats extends EventListenerStatus {
  /**
   * Messages in the intake now (both ways in), room the stream reader has reserved for a read in progress, the
   * bound, and the highest `current + reserved` seen (never above `limit`).
   */
  readonly inHand: { readonly current: number; readonly reserved: number; readonly limit: number; readonly peak: number };
  /** Outcomes of the intake, both ways in together. */
  readonly intake: ReturnType<EventIntake['counters']>;
  /** Events stored but not dispatched yet (being dispatched, or waiting for a retry while Temporal fails). */
  readonly dispatchPending: number;
}

export interface EventListenerService {
  readonly dispatcher: Dispatcher;
  readonly intake: EventIntake;
  readonly limiter: InHandLimiter;
  /** The Pub/Sub subscriber; null when WEBHOOKS_REDIS_CHANNEL is empty. */
  readonly listener: RedisListener | null;
  /** The stream reader; null when WEBHOOKS_REDIS_STREAM is empty. */
  readonly stream: StreamReader | null;
  status(): EventListenerStatus;
  stats(): EventListenerStats;
  /** Resolves once every way in is connected (subscribed, group confirmed). */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Stops taking messages, finishes the ones in hand, cancels the sweep and background retries. */
  stop(): Promise<void>;
}

export function startEventListenerService(deps: EventListenerServiceDeps): EventListenerService {
  const { config, dataSource, logger } = deps;
  const lanes = createLaneRepository(dataSource);
  const dispatcher = createDispatcher({
    events: createEventRepository(dataSource),
    findSubscriptions: deps.findSubscriptions,
    reserveLanePlaces: deps.reserveLanePlaces ?? ((event, subscriptionIds) => lanes.reservePlaces(event, subscriptionIds)),
    startDelivery: deps.startDelivery,
    logger,
    options: deps.dispatcher,
  });
  const limiter = createInHandLimiter(config.listenerMaxInHand);
  const maxMessageBytes = deps.maxMessageBytes ?? MAX_ENVELOPE_BYTES;
  const intake = createEventIntake({
    channel: config.redisChannel ?? config.redisStream?.key ?? 'unknown',
    rules: { isKnownType: isKnownEventType, maxBytes: maxMessageBytes },
    dispatcher,
    rejected: createRejectedMessageRepository(dataSource),
    logger,
  });
  const channel = config.redisChannel;
  const listener =
    channel === null
      ? null
      : startRedisListener({
          redis: config,
          channel,
          onMessage: (raw) => intake.handle(raw, channel),
          oversized: {
            maxBytes: maxMessageBytes,
            prefixChars: MAX_STORED_RAW_CHARS,
            handle: (prefix, bytes) => intake.reject(prefix, oversizedReason(bytes, maxMessageBytes), channel, bytes),
          },
          logger,
          limiter,
        });
  const stream =
    config.redisStream === null
      ? null
      : startStreamReader({
          redis: config,
          settings: config.redisStream,
          intake,
          limiter,
          logger,
          consumer: deps.streamConsumer,
        });

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = dispatcher.sweep().catch((error: unknown) => {
      logger.error({ err: errorSummary(error) }, 'sweep failed; next one will retry');
    });
  };
  sweep();
  const timer = setInterval(sweep, deps.sweepIntervalMs ?? 15_000);

  const status = (): EventListenerStatus => ({ pubsub: listener?.status() ?? null, stream: stream?.status() ?? null });

  return {
    dispatcher,
    intake,
    limiter,
    listener,
    stream,
    status,
    stats: () => {
      const current = status();
      const reserved = current.stream?.reserved ?? 0;
      return {
        ...current,
        inHand: { current: limiter.inUse() - reserved, reserved, limit: limiter.limit, peak: limiter.peak() },
        intake: intake.counters(),
        dispatchPending: dispatcher.pending(),
      };
    },
    whenReady: async (timeoutMs = 10_000) => {
      await Promise.all([listener?.whenSubscribed(timeoutMs), stream?.whenReady(timeoutMs)]);
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([listener?.stop(), stream?.stopReading()]);
      await intake.stop();
      await stream?.close();
      await sweeping;
      await dispatcher.stop();
    },
  };
}
