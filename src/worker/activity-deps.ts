/** Wires the delivery activities' dependencies from config: the one place the worker's real collaborators are built. */
import type { DataSource } from 'typeorm';
import type { ActivityDeps } from '../../activities';
import { requireEncryptionKey, type Config } from '../config';
import { createSecretBox } from '../crypto/secret-box';
import { createAllowList, createGuardedLookup, systemResolver, type Resolver } from '../http/ssrf';
import { createWebhookClient } from '../http/webhook-client';
import type { Logger } from '../logger';
import { instrumentWebhookClient } from '../metrics/instrumented-webhook-client';
import type { WorkerMetrics } from '../metrics/metric-definitions';
import { closeRedisClient, createRedisClient, type RedisClient, type RedisTarget } from '../redis/clients';
import { createEndpointGate } from '../throttling/endpoint-gate';
import { createRedisRateLimiter } from '../throttling/rate-limiter';
import { createRedisIntakeBarrier } from '../lanes/intake-barrier';
import { activeTracing } from '../tracing';

export interface ActivityDepsOptions {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  /** DNS resolver for the SSRF guard (the system resolver unless a test injects one). */
  readonly resolver?: Resolver;
  readonly clock?: () => Date;
  /** Counts and times every HTTP attempt by outcome class; none when absent. */
  readonly metrics?: WorkerMetrics;
  /**
   * The connection of the shared rate limiter, owned (and closed) by the composition root: see
   * createRateLimiterRedis. Absent: one made here for the configured Redis, which connects only when a subscription with a
   * rate limit is first delivered to (a caller that never meets one never opens it).
   */
  readonly redis?: RedisClient;
  /** Prefix of the limiter's Redis keys (tests keep theirs apart); default webhooks:rate:. */
  readonly rateLimitKeyPrefix?: string;
}

/**
 * The rate limiter's own Redis connection: connects on first use, fails a command fast while Redis is away (the
 * activity then waits and asks again) and reconnects in the background.
 */
export function createRateLimiterRedis(target: RedisTarget): RedisClient {
  const redis = createRedisClient(target, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    connectionName: 'webhooks-rate-limiter',
    maxReconnectDelayMs: 2_000,
  });
  // Errors reach the asking activity as rejected commands; the event itself needs no handling.
  redis.on('error', () => undefined);
  return redis;
}

/** Closes it: QUIT when it ever connected, nothing to say otherwise. */
export async function closeRateLimiterRedis(redis: RedisClient): Promise<void> {
  await closeRedisClient(redis);
}

export function buildActivityDeps(options: ActivityDepsOptions): ActivityDeps {
  const { config } = options;
  const allowList = createAllowList(config.ssrfAllowCidrs);
  const lookup = createGuardedLookup({ resolver: options.resolver ?? systemResolver, allowList });
  const guarded = createWebhookClient({
    timeoutMs: config.delivery.requestTimeoutMs,
    lookup,
    allowList,
    requireHttps: config.delivery.requireHttps,
  });
  // One connection for the limiter and the lanes' intake barrier (both short commands that fail fast).
  const redis = options.redis ?? createRateLimiterRedis(config);
  // Each request a client span while tracing is on.
  const http = activeTracing()?.traceWebhookClient(guarded) ?? guarded;
  return {
    dataSource: options.dataSource,
    secretBox: createSecretBox(requireEncryptionKey(config)),
    http: options.metrics ? instrumentWebhookClient(http, options.metrics) : http,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger,
    retryAfterCapMs: config.delivery.retryAfterCapMs,
    disableAfterMs: config.delivery.disableAfterMs,
    countDisabled: options.metrics ? (reason) => options.metrics?.subscriptionsDisabled.inc({ reason }) : undefined,
    rateLimiter: createRedisRateLimiter({
      redis,
      keyPrefix: options.rateLimitKeyPrefix,
      // A send not reported answered (its worker died) has surely ended by then: the HTTP timeout and a margin.
      maxInFlightMs: config.delivery.requestTimeoutMs + 5_000,
    }),
    endpointGate: createEndpointGate({
      maxInFlight: config.delivery.maxInFlightPerEndpoint,
      // An endpoint is slow (every request counts) past half the request timeout: a hanging one always is.
      slowAfterMs: Math.ceil(config.delivery.requestTimeoutMs / 2),
    }),
    intakeBarrier: config.redisStream
      ? createRedisIntakeBarrier({ redis, stream: config.redisStream.key, group: config.redisStream.group })
      : undefined,
  };
}
