/**
 * The Redis Pub/Sub subscriber. It connects in the background and keeps reconnecting for as long as the process
 * runs (ioredis' retry strategy, capped at 2 s between tries); every time the connection becomes ready it
 * subscribes to the channel again, so a Redis restart costs only the messages published while it was down
 * (Pub/Sub keeps nothing for absent subscribers). Errors are logged, never thrown: the process stays up.
 */
import { Redis, type RedisStatus } from 'ioredis';
import type { Logger } from '../logger';

export interface RedisListenerStatus {
  /** The connection state as ioredis reports it (`ready` when connected). */
  readonly connection: RedisStatus;
  /** True while the channel subscription is confirmed on the current connection. */
  readonly subscribed: boolean;
  readonly channel: string;
  /** The last connection error, while not subscribed. */
  readonly lastError: string | null;
}

export interface RedisListenerOptions {
  redisUrl: string;
  channel: string;
  /** Called once per message; its promise is not awaited by the listener (messages are handled concurrently). */
  onMessage: (raw: string) => unknown;
  logger: Logger;
  /** Longest wait between reconnection tries (default 2 s). */
  maxReconnectDelayMs?: number;
}

export interface RedisListener {
  status(): RedisListenerStatus;
  /** Resolves once the subscription is confirmed (now, or after the next successful reconnect). */
  whenSubscribed(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startRedisListener(options: RedisListenerOptions): RedisListener {
  const { channel, logger } = options;
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  let subscribed = false;
  let lastError: string | null = null;
  let lastLoggedError: string | null = null;
  let stopping = false;
  const waiters = new Set<() => void>();

  const subscriber = new Redis(options.redisUrl, {
    // Re-subscription is done explicitly on every 'ready' below, so that `subscribed` reflects a confirmed SUBSCRIBE.
    autoResubscribe: false,
    enableReadyCheck: true,
    maxRetriesPerRequest: null,
    connectionName: 'webhooks-listener',
    retryStrategy: (times) => Math.min(times * 200, maxDelay),
  });

  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = true;
        lastError = null;
        lastLoggedError = null;
        logger.info({ channel }, 'redis listener subscribed');
        waiters.forEach((notify) => notify());
      },
      (error: Error) => {
        lastError = error.message;
        logger.error({ channel, err: error.message }, 'redis subscribe failed; will retry on the next reconnect');
        subscriber.disconnect(true);
      },
    );
  });

  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const result = options.onMessage(message);
      if (result instanceof Promise) {
        result.catch((error: unknown) => logger.error({ channel, err: String(error) }, 'event message handler failed'));
      }
    } catch (error) {
      logger.error({ channel, err: String(error) }, 'event message handler failed');
    }
  });

  subscriber.on('error', (error: Error) => {
    lastError = error.message;
    // One line per distinct error while down, not one per reconnection try.
    if (error.message !== lastLoggedError) {
      lastLoggedError = error.message;
      logger.error({ channel, err: error.message }, 'redis connection error; the listener stays up and reconnects');
    }
  });

  subscriber.on('close', () => {
    if (subscribed && !stopping) logger.warn({ channel }, 'redis connection lost; reconnecting');
    subscribed = false;
  });

  subscriber.on('reconnecting', (delayMs: number) => {
    logger.debug({ channel, delayMs }, 'redis reconnecting');
  });

  return {
    status: () => ({ connection: subscriber.status, subscribed, channel, lastError: subscribed ? null : lastError }),

    whenSubscribed: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (subscribed) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`redis listener not subscribed to ${channel} within ${timeoutMs} ms (${lastError ?? subscriber.status})`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        waiters.add(done);
      }),

    async stop() {
      stopping = true;
      subscribed = false;
      if (subscriber.status === 'ready') {
        await subscriber.quit().catch(() => subscriber.disconnect());
      } else {
        subscriber.disconnect();
      }
    },
  };
}
