/**
 * The Redis Pub/Sub subscriber. It connects in the background and keeps reconnecting for as long as the process
 * runs (ioredis' retry strategy, capped at 2 s between tries); every time the connection becomes ready it
 * subscribes to the channel again, so a Redis restart costs only the messages published while it was down
 * (Pub/Sub keeps nothing for absent subscribers). Errors are logged, never thrown: the process stays up.
 *
 * Backpressure: with a limiter, each message takes one in-hand slot until its handler settles. When none is free
 * the subscriber pauses its socket (Redis then buffers this subscriber's messages, up to its
 * `client-output-buffer-limit pubsub`, beyond which Redis closes the connection and the messages published until the
 * re-subscription are lost: logged as such). Messages already read off the socket when it paused (the rest of the
 * chunk being parsed, at most about 64 KiB) wait in an overflow queue and are handled first; a queue over
 * MAX_WAITING_BYTES (which a paused socket cannot reach) would drop and count them.
 */
import type { Logger } from '../logger';
import { createRedisClient, subscriberSocket, type RedisClientStatus, type RedisTarget } from '../redis/clients';
import { errorSummary } from '../shared/error-summary';
import { truncateText } from '../shared/storable-text';
import type { InHandLimiter } from './in-hand-limiter';

/** At most one "reads paused" warning per this interval (a sustained overload pauses and resumes many times). */
const PAUSE_LOG_INTERVAL_MS = 10_000;
/** Bytes of messages waiting for a slot beyond which they are dropped: far above one socket read (64 KiB). */
export const MAX_WAITING_BYTES = 1024 * 1024;

export interface RedisListenerStatus {
  /** The connection state as ioredis reports it (`ready` when connected). */
  readonly connection: RedisClientStatus;
  /** True while the channel subscription is confirmed on the current connection. */
  readonly subscribed: boolean;
  readonly channel: string;
  /** The last connection error, while not subscribed. */
  readonly lastError: string | null;
  /** True while the socket is paused because every in-hand slot is taken. */
  readonly paused: boolean;
  /** Messages received on the channel since start. */
  readonly received: number;
  /** Messages read off the socket after it paused, waiting for a slot. */
  readonly waiting: number;
  /** Messages dropped because the overflow queue was full too (the listener was over its bound). */
  readonly dropped: number;
  /** Times the socket was paused at the bound. */
  readonly pauses: number;
}

export interface RedisListenerOptions {
  /** Where Redis is, in the configured mode (a Cluster delivers a channel's messages on any of its nodes). */
  redis: RedisTarget;
  channel: string;
  /** Called once per message; its promise is not awaited by the listener (messages are handled concurrently). */
  onMessage: (raw: string) => unknown;
  logger: Logger;
  /** Longest wait between reconnection tries (default 2 s). */
  maxReconnectDelayMs?: number;
  /** The in-hand bound shared with the stream reader; none: every message is handled at once (the benchmark). */
  limiter?: InHandLimiter;
  /**
   * Messages larger than this (UTF-8 bytes) go to `onOversized` with only their first `oversizedPrefixChars`
   * characters: a message the intake refuses for its size never waits in the overflow queue at full size.
   */
  oversized?: { maxBytes: number; prefixChars: number; handle: (prefix: string, bytes: number) => unknown };
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

  const subscriber = createRedisClient(options.redis, {
    // Re-subscription is done explicitly on every 'ready' below, so that `subscribed` reflects a confirmed SUBSCRIBE.
    // (A Cluster re-subscribes its own subscriber connection when it moves it to another node.)
    autoResubscribe: false,
    maxRetriesPerRequest: null,
    connectionName: 'webhooks-listener',
    maxReconnectDelayMs: maxDelay,
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

  const limiter = options.limiter;
  /** Messages waiting for a slot, as their handlers, with what each holds in memory. */
  const overflow: Array<{ handle: () => unknown; bytes: number }> = [];
  let waitingBytes = 0;
  /** Resume reading once a quarter of the slots are free again (not at the first one: fewer pause/resume flips). */
  const resumeAtOrBelow = limiter ? Math.max(0, Math.min(limiter.limit - 1, Math.floor(limiter.limit * 0.75))) : 0;
  let paused = false;
  /** Paused at least once on the current connection: a close then may be Redis dropping a slow subscriber. */
  let pausedThisConnection = false;
  let pausedAt = 0;
  let pauseLogged = false;
  let lastPauseLogAt = 0;
  let pausesSinceLog = 0;
  const counts = { received: 0, dropped: 0, pauses: 0 };

  /** Runs one message's handler; its slot (if it holds one) is released when the handler settles. */
  const run = (handle: () => unknown, holdsSlot = true) => {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(handle());
    } catch (error) {
      result = Promise.reject(error);
    }
    void result
      .catch((error: unknown) => logger.error({ channel, err: errorSummary(error) }, 'event message handler failed'))
      .finally(() => {
        if (holdsSlot) limiter?.release();
      });
  };

  const pause = () => {
    if (paused) return;
    paused = true;
    pausedThisConnection = true;
    pausedAt = Date.now();
    counts.pauses += 1;
    pausesSinceLog += 1;
    subscriberSocket(subscriber)?.pause();
    if (Date.now() - lastPauseLogAt >= PAUSE_LOG_INTERVAL_MS) {
      logger.warn(
        { channel, inHand: limiter?.inUse(), limit: limiter?.limit, pauses: pausesSinceLog },
        'messages in hand at the limit: Pub/Sub reads paused (Redis buffers them up to its client-output-buffer-limit pubsub)',
      );
      lastPauseLogAt = Date.now();
      pausesSinceLog = 0;
      pauseLogged = true;
    }
  };

  const drain = () => {
    if (!limiter) return;
    while (overflow.length > 0 && limiter.tryAcquire(1) === 1) {
      const waiting = overflow.shift() as { handle: () => unknown; bytes: number };
      waitingBytes -= waiting.bytes;
      run(waiting.handle);
    }
    if (paused && overflow.length === 0 && limiter.inUse() <= resumeAtOrBelow) {
      paused = false;
      subscriberSocket(subscriber)?.resume();
      if (pauseLogged) {
        logger.info({ channel, pausedMs: Date.now() - pausedAt, inHand: limiter.inUse() }, 'Pub/Sub reads resumed');
        pauseLogged = false;
      }
    }
  };
  const stopDraining = limiter?.onRelease(drain);

  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    counts.received += 1;
    const size = Buffer.byteLength(message, 'utf8');
    const { oversized } = options;
    let handle: () => unknown;
    let bytes = size;
    if (oversized && size > oversized.maxBytes) {
      const prefix = truncateText(message, oversized.prefixChars);
      handle = () => oversized.handle(prefix, size);
      bytes = Buffer.byteLength(prefix, 'utf8');
    } else {
      handle = () => options.onMessage(message);
    }
    if (!limiter) {
      run(handle);
      return;
    }
    if (overflow.length === 0 && limiter.tryAcquire(1) === 1) {
      run(handle);
      return;
    }
    // Read off the socket in the same chunk as messages that filled the bound: it waits (the socket pauses).
    if (overflow.length > 0 && waitingBytes + bytes > MAX_WAITING_BYTES) {
      counts.dropped += 1;
      logger.error(
        { channel, bytes, waiting: overflow.length, waitingBytes, dropped: counts.dropped },
        'Pub/Sub message dropped: the listener is over its in-hand bound and its overflow queue is full',
      );
    } else {
      overflow.push({ handle, bytes });
      waitingBytes += bytes;
    }
    pause();
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
    // A paused socket sees Redis' close only once it reads again, so any close after a pause on this connection counts.
    if (pausedThisConnection && !stopping) {
      logger.error(
        { channel, inHand: limiter?.inUse(), limit: limiter?.limit, pausedNow: paused },
        'the Pub/Sub connection closed after its reads were paused at the in-hand limit (Redis drops a subscriber over its client-output-buffer-limit pubsub): messages published until the re-subscription are lost',
      );
    } else if (subscribed && !stopping) {
      logger.warn({ channel }, 'redis connection lost; reconnecting');
    }
    subscribed = false;
    // The next socket starts flowing; it is paused again if the bound is still reached.
    paused = false;
    pausedThisConnection = false;
  });

  subscriber.on('reconnecting', (delayMs: number) => {
    logger.debug({ channel, delayMs }, 'redis reconnecting');
  });

  return {
    status: () => ({
      connection: subscriber.status,
      subscribed,
      channel,
      lastError: subscribed ? null : lastError,
      paused,
      received: counts.received,
      waiting: overflow.length,
      dropped: counts.dropped,
      pauses: counts.pauses,
    }),

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
      // A paused socket would never read the QUIT reply: a subscriber has nothing to flush, so it is just closed.
      if (subscriber.status === 'ready' && !paused) {
        await subscriber.quit().catch(() => subscriber.disconnect());
      } else {
        subscriber.disconnect();
      }
      // Messages already read off the socket (at most one socket read's worth) go to the intake now, beyond the
      // bound: waiting for slots could wait forever while Postgres is down, since the intake only gives up on stop.
      stopDraining?.();
      if (overflow.length > 0) {
        logger.info({ channel, waiting: overflow.length }, 'handing the Pub/Sub messages still waiting for a slot to the intake');
        overflow.splice(0).forEach((waiting) => run(waiting.handle, false));
        waitingBytes = 0;
      }
    },
  };
}
