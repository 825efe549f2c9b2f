/**
 * The only module that reads process.env. It parses and validates the whole environment once
 * and fails fast with a message naming every bad variable. Values are never logged: see
 * `describeConfig` for the redacted view used at start-up.
 */
import { z } from 'zod';
import { parseCidrList } from './http/ssrf/cidr-list';
import {
  describeTemporalConnection,
  loadTemporalConnectionSettings,
  TemporalEnvironmentError,
  type TemporalConnectionSettings,
} from './temporal/environment-config';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const intFrom = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const floatFrom = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const urlWithProtocols = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL with protocol ${protocols.join(' or ')}`,
    );

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A channel or stream name; empty means that way in is off. At most 200 characters (rejected_messages.channel). */
const redisName = z
  .string()
  .trim()
  .max(200, 'must be at most 200 characters')
  .transform((value) => (value === '' ? null : value));

/** Variables where an explicitly empty value means "none" rather than "use the default". */
const EMPTY_MEANS_NONE = new Set(['WEBHOOKS_REDIS_CHANNEL', 'WEBHOOKS_REDIS_STREAM']);

/**
 * How the listener trims acknowledged history off the stream: `minid` drops entries older than the oldest one any
 * consumer group of the stream has not acknowledged; `maxlen` keeps about `maxLen` newest entries (MAXLEN ~, which
 * may drop unread entries of a backlog longer than that); `none` leaves trimming to the publishers.
 */
export type StreamTrim = Readonly<{ strategy: 'minid' } | { strategy: 'maxlen'; maxLen: number } | { strategy: 'none' }>;

/** One Redis node or Sentinel: a host name, an IPv4 address or a bracketed IPv6 address, and a port. */
export type HostPort = Readonly<{ host: string; port: number }>;

/**
 * How the processes reach Redis (user, password, TLS and db always come from REDIS_URL): the one server of REDIS_URL;
 * the primary Sentinels name (REDIS_SENTINELS, REDIS_SENTINEL_MASTER); or a Redis Cluster (REDIS_CLUSTER_NODES).
 */
export type RedisTopology = Readonly<
  | { mode: 'standalone' }
  | { mode: 'sentinel'; sentinels: ReadonlyArray<HostPort>; masterName: string }
  | { mode: 'cluster'; nodes: ReadonlyArray<HostPort> }
>;

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(\d{1,5})$/;

/** `host:port,...`: at least one, each port 1-65535; the value is not echoed in the error. */
export function parseHostPortList(value: string): HostPort[] | null {
  const items = value.split(',').map((item) => item.trim());
  const nodes: HostPort[] = [];
  for (const item of items) {
    const match = HOST_PORT.exec(item);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65535) return null;
    nodes.push(Object.freeze({ host: match[1] ?? match[2], port }));
  }
  return nodes;
}

const hostPortList = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .transform((value, ctx) => {
    const nodes = parseHostPortList(value);
    if (nodes === null) {
      ctx.addIssue({ code: 'custom', message: 'must be host:port,... (a host name, an IPv4 address or [IPv6], and a port 1-65535 each)' });
      return z.NEVER;
    }
    return nodes;
  });

const encryptionKey = z
  .string()
  .trim()
  .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32, {
    message: 'must be 32 bytes encoded as base64',
  });

const envSchema = z.object({
  HOST: nonEmpty.default('127.0.0.1'),
  PORT: intFrom(0, 65535).default(3000),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/webhooks'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  // At most one of Sentinel mode and Cluster mode (see RedisTopology); credentials, TLS and db stay in REDIS_URL.
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_MASTER: nonEmpty.pipe(z.string().max(200, 'must be at most 200 characters')).optional(),
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  // The two ways in (see src/events): an empty value switches one off (EMPTY_MEANS_NONE).
  WEBHOOKS_REDIS_CHANNEL: redisName.default('webhooks:events'),
  WEBHOOKS_REDIS_STREAM: redisName.default('webhooks:stream'),
  WEBHOOKS_REDIS_GROUP: nonEmpty.pipe(z.string().max(200, 'must be at most 200 characters')).default('webhooks-listeners'),
  WEBHOOKS_STREAM_BATCH_SIZE: intFrom(1, 1000).default(100),
  WEBHOOKS_STREAM_BLOCK_MS: intFrom(10, 60_000).default(5_000),
  WEBHOOKS_STREAM_CLAIM_IDLE_MS: intFrom(1_000, DAY_MS).default(30_000),
  WEBHOOKS_STREAM_MAX_DELIVERIES: intFrom(1, 1000).default(5),
  WEBHOOKS_STREAM_TRIM: z
    .string()
    .trim()
    .regex(/^(minid|none|maxlen:\d+)$/, 'must be minid, none or maxlen:<entries>')
    .transform((value, ctx): StreamTrim => {
      if (value === 'minid' || value === 'none') return { strategy: value };
      const maxLen = Number(value.slice('maxlen:'.length));
      if (!Number.isSafeInteger(maxLen) || maxLen < 1) {
        ctx.addIssue({ code: 'custom', message: 'maxlen:<entries> needs a whole number of at least 1' });
        return z.NEVER;
      }
      return { strategy: 'maxlen', maxLen };
    })
    .default({ strategy: 'minid' }),
  WEBHOOKS_LISTENER_MAX_IN_HAND: intFrom(1, 100_000).default(200),
  // Temporal's environment configuration (src/temporal/environment-config.ts reads these with @temporalio/envconfig,
  // beside TEMPORAL_GRPC_META_*); validated here for their form only. Defaults: TEMPORAL_DEFAULTS.
  TEMPORAL_ADDRESS: nonEmpty.optional(),
  TEMPORAL_NAMESPACE: nonEmpty.optional(),
  TEMPORAL_API_KEY: nonEmpty.optional(),
  TEMPORAL_PROFILE: nonEmpty.optional(),
  TEMPORAL_CONFIG_FILE: nonEmpty.optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: nonEmpty.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: nonEmpty.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: nonEmpty.optional(),
  TEMPORAL_TLS_SERVER_NAME: nonEmpty.optional(),
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TASK_QUEUE: nonEmpty.default('webhooks-queue'),
  WEBHOOKS_REQUEST_TIMEOUT_MS: intFrom(100, 60_000).default(5000),
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: intFrom(10, DAY_MS).default(5_000),
  WEBHOOKS_RETRY_BACKOFF: floatFrom(1, 10).default(2),
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: intFrom(10, 7 * DAY_MS).default(2 * 60 * 60 * 1000),
  WEBHOOKS_RETRY_MAX_ATTEMPTS: intFrom(1, 1000).default(20),
  WEBHOOKS_RETRY_AFTER_CAP_MS: intFrom(0, DAY_MS).default(60 * 60 * 1000),
  // A subscription failing without a success for this long is switched off ('failing'); fractions allowed; 0: never.
  WEBHOOKS_DISABLE_AFTER_HOURS: floatFrom(0, 365 * 24).default(120),
  // Requests one worker keeps in flight to one subscription; more wait on a timer (src/throttling/endpoint-gate.ts).
  WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: intFrom(1, 1000).default(10),
  // A delivery waiting for its turn in a lane looks again this long after it began to wait, in case the signal of the
  // delivery ahead was lost; the wait doubles up to 10 minutes (src/lanes).
  WEBHOOKS_LANE_RECHECK_MS: intFrom(100, 10 * 60 * 1000).default(60_000),
  SSRF_ALLOW_CIDRS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseCidrList(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  WEBHOOKS_ENCRYPTION_KEY: encryptionKey.optional(),
  WEBHOOKS_REQUIRE_HTTPS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  WEBHOOKS_LISTENER_EMBEDDED_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  // Requests per minute per API key; all portal sessions of an account share one bucket of the same size.
  API_RATE_LIMIT_PER_MINUTE: intFrom(1, 1_000_000).default(600),
  // Bounds (docs/limits.md); past one, a create or a rotation answers 409 limit_reached and writes nothing.
  // Subscriptions an account may have (active or not).
  WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: intFrom(1, 1_000_000).default(100),
  // Live (not yet expired) signing secrets of one subscription, the current one included; at least 2 so that a
  // rotation with a grace period is possible. A rotation with graceSeconds: 0 is always possible.
  WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION: intFrom(2, 100).default(10),
  // Live (neither expired nor revoked) portal sessions of one account.
  WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT: intFrom(1, 100_000).default(100),
  /** Where portal links point (a path prefix is kept); default http://HOST:PORT. */
  WEBHOOKS_PORTAL_BASE_URL: z
    .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' })
    .refine((value) => {
      if (!URL.canParse(value)) return true; // the url check above reports it
      const url = new URL(value);
      return !url.search && !url.hash && !url.username && !url.password && !value.includes('#') && !value.includes('?');
    }, 'must have no query, fragment or credentials (the portal link appends /portal#token=…)')
    .optional(),
  // Events, deliveries (with their attempts) and rejected messages older than this are deleted (never PENDING ones).
  WEBHOOKS_RETENTION_DAYS: intFrom(1, 3650).default(30),
  WEBHOOKS_RETENTION_BATCH_SIZE: intFrom(1, 100_000).default(1000),
  // Prometheus /metrics of the listener and the worker on their own ports (bound to HOST; 0: a free port, logged).
  WEBHOOKS_LISTENER_METRICS_PORT: intFrom(0, 65535).default(9464),
  WEBHOOKS_WORKER_METRICS_PORT: intFrom(0, 65535).default(9465),
  // The Temporal SDK's own worker metrics (its Rust core's Prometheus exporter) in the worker process; 0: off.
  WEBHOOKS_WORKER_SDK_METRICS_PORT: intFrom(0, 65535).default(9466),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Where Temporal is when neither a variable nor the profile says. */
export const TEMPORAL_DEFAULTS = Object.freeze({ address: '127.0.0.1:7233', namespace: 'default' });

/** Every environment variable the engine reads (and TEMPORAL_GRPC_META_<header>, a gRPC header each). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

export type Config = Readonly<{
  host: string;
  port: number;
  databaseUrl: string;
  /** User, password, TLS (rediss:) and db of every Redis connection; the server itself in standalone mode. */
  redisUrl: string;
  /** Standalone, Sentinel or Cluster: every process builds its connections for it (src/redis/clients.ts). */
  redisTopology: RedisTopology;
  /** Pub/Sub channel of the listener; null: not subscribed. */
  redisChannel: string | null;
  /** The stream the listener consumes in its group; null: none. */
  redisStream: Readonly<{
    key: string;
    group: string;
    /** Entries per XREADGROUP (fewer when the in-hand bound leaves less room). */
    batchSize: number;
    blockMs: number;
    /** Entries pending this long without their consumer touching them are claimed by another listener. */
    claimIdleMs: number;
    /** An entry delivered more often than this without being acknowledged is rejected and acknowledged. */
    maxDeliveries: number;
    trim: StreamTrim;
  }> | null;
  /** Messages in hand per listener process, both ways in together. */
  listenerMaxInHand: number;
  /**
   * Where and how to reach Temporal (address, namespace, API key, TLS, gRPC headers: Temporal's environment
   * configuration, see src/temporal/environment-config.ts) and the engine's task queue. Holds credentials: log it
   * only through describeConfig.
   */
  temporal: TemporalConnectionSettings & Readonly<{ taskQueue: string }>;
  delivery: Readonly<{
    requestTimeoutMs: number;
    retry: Readonly<{ initialIntervalMs: number; backoffCoefficient: number; maximumIntervalMs: number; maximumAttempts: number }>;
    retryAfterCapMs: number;
    requireHttps: boolean;
    /** A subscription whose attempts have failed without a success for this long is switched off; null: never. */
    disableAfterMs: number | null;
    /** Requests one worker keeps in flight to one subscription at once. */
    maxInFlightPerEndpoint: number;
    /** A waiting delivery's re-check of its lane: first after initialMs, doubling up to maxMs. */
    laneRecheck: Readonly<{ initialMs: number; maxMs: number }>;
  }>;
  ssrfAllowCidrs: ReadonlyArray<string>;
  /** The listener hosts a delivery worker and starts deliveries eagerly on it (src/worker/embedded-worker.ts). */
  listenerEmbeddedWorker: boolean;
  /** base64 of 32 bytes; required by the processes that touch secrets (see requireEncryptionKey). */
  encryptionKey: string | undefined;
  apiRateLimitPerMinute: number;
  /** Bounds per account and per subscription (docs/limits.md). */
  limits: Readonly<{ subscriptionsPerAccount: number; liveSecretsPerSubscription: number; portalSessionsPerAccount: number }>;
  /** Base of portal links (no trailing slash). */
  portalBaseUrl: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** What the retention schedule deletes, and in batches of how many rows. */
  retention: Readonly<{ days: number; batchSize: number }>;
  /** Ports of the Prometheus endpoints (the API serves /metrics on its own port). */
  metrics: Readonly<{ listenerPort: number; workerPort: number; workerSdkPort: number | null }>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default). Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((key) => env[key] !== undefined && (env[key] !== '' || EMPTY_MEANS_NONE.has(key)))
      .map((key) => [key, env[key]]),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    // Messages name the variable and the rule; the offending value is not echoed (it may be a secret).
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  let temporal: TemporalConnectionSettings;
  try {
    temporal = loadTemporalConnectionSettings(env, TEMPORAL_DEFAULTS);
  } catch (error) {
    if (error instanceof TemporalEnvironmentError) throw new ConfigError([error.message]);
    throw error;
  }
  if (e.WEBHOOKS_RETRY_INITIAL_INTERVAL_MS > e.WEBHOOKS_RETRY_MAX_INTERVAL_MS) {
    throw new ConfigError(['WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: must not exceed WEBHOOKS_RETRY_MAX_INTERVAL_MS']);
  }
  const redisTopology = redisTopologyOf(e);
  if (e.WEBHOOKS_REDIS_CHANNEL === null && e.WEBHOOKS_REDIS_STREAM === null) {
    throw new ConfigError(['WEBHOOKS_REDIS_CHANNEL, WEBHOOKS_REDIS_STREAM: both are empty; the listener needs at least one way in']);
  }
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisTopology,
    redisChannel: e.WEBHOOKS_REDIS_CHANNEL,
    redisStream:
      e.WEBHOOKS_REDIS_STREAM === null
        ? null
        : Object.freeze({
            key: e.WEBHOOKS_REDIS_STREAM,
            group: e.WEBHOOKS_REDIS_GROUP,
            batchSize: e.WEBHOOKS_STREAM_BATCH_SIZE,
            blockMs: e.WEBHOOKS_STREAM_BLOCK_MS,
            claimIdleMs: e.WEBHOOKS_STREAM_CLAIM_IDLE_MS,
            maxDeliveries: e.WEBHOOKS_STREAM_MAX_DELIVERIES,
            trim: Object.freeze({ ...e.WEBHOOKS_STREAM_TRIM }),
          }),
    listenerMaxInHand: e.WEBHOOKS_LISTENER_MAX_IN_HAND,
    temporal: Object.freeze({ ...temporal, taskQueue: e.TEMPORAL_TASK_QUEUE }),
    delivery: Object.freeze({
      requestTimeoutMs: e.WEBHOOKS_REQUEST_TIMEOUT_MS,
      retry: Object.freeze({
        initialIntervalMs: e.WEBHOOKS_RETRY_INITIAL_INTERVAL_MS,
        backoffCoefficient: e.WEBHOOKS_RETRY_BACKOFF,
        maximumIntervalMs: e.WEBHOOKS_RETRY_MAX_INTERVAL_MS,
        maximumAttempts: e.WEBHOOKS_RETRY_MAX_ATTEMPTS,
      }),
      retryAfterCapMs: e.WEBHOOKS_RETRY_AFTER_CAP_MS,
      requireHttps: e.WEBHOOKS_REQUIRE_HTTPS,
      disableAfterMs: e.WEBHOOKS_DISABLE_AFTER_HOURS === 0 ? null : Math.round(e.WEBHOOKS_DISABLE_AFTER_HOURS * HOUR_MS),
      maxInFlightPerEndpoint: e.WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT,
      laneRecheck: Object.freeze({ initialMs: e.WEBHOOKS_LANE_RECHECK_MS, maxMs: Math.max(e.WEBHOOKS_LANE_RECHECK_MS, 10 * 60 * 1000) }),
    }),
    ssrfAllowCidrs: Object.freeze([...e.SSRF_ALLOW_CIDRS]),
    listenerEmbeddedWorker: e.WEBHOOKS_LISTENER_EMBEDDED_WORKER,
    encryptionKey: e.WEBHOOKS_ENCRYPTION_KEY,
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    limits: Object.freeze({
      subscriptionsPerAccount: e.WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT,
      liveSecretsPerSubscription: e.WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION,
      portalSessionsPerAccount: e.WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT,
    }),
    portalBaseUrl: (e.WEBHOOKS_PORTAL_BASE_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    retention: Object.freeze({ days: e.WEBHOOKS_RETENTION_DAYS, batchSize: e.WEBHOOKS_RETENTION_BATCH_SIZE }),
    metrics: Object.freeze({
      listenerPort: e.WEBHOOKS_LISTENER_METRICS_PORT,
      workerPort: e.WEBHOOKS_WORKER_METRICS_PORT,
      workerSdkPort: e.WEBHOOKS_WORKER_SDK_METRICS_PORT === 0 ? null : e.WEBHOOKS_WORKER_SDK_METRICS_PORT,
    }),
  });
}

/** The Redis mode from its variables: at most one mode, each complete; a Cluster has only db 0. */
function redisTopologyOf(e: z.infer<typeof envSchema>): RedisTopology {
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) {
    throw new ConfigError(['REDIS_SENTINELS, REDIS_CLUSTER_NODES: both are set; choose Sentinel mode or Cluster mode, not both']);
  }
  if (e.REDIS_SENTINELS) {
    if (!e.REDIS_SENTINEL_MASTER) throw new ConfigError(["REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS (the primary's name)"]);
    return Object.freeze({ mode: 'sentinel', sentinels: Object.freeze(e.REDIS_SENTINELS), masterName: e.REDIS_SENTINEL_MASTER });
  }
  if (e.REDIS_SENTINEL_MASTER) throw new ConfigError(['REDIS_SENTINEL_MASTER: set without REDIS_SENTINELS']);
  if (e.REDIS_CLUSTER_NODES) {
    const db = new URL(e.REDIS_URL).pathname.replace(/^\//, '');
    if (db !== '' && db !== '0') throw new ConfigError(['REDIS_URL: a Redis Cluster has database 0 only (REDIS_CLUSTER_NODES is set)']);
    return Object.freeze({ mode: 'cluster', nodes: Object.freeze(e.REDIS_CLUSTER_NODES) });
  }
  return Object.freeze({ mode: 'standalone' });
}

/** A loggable view of the configuration: no secrets, no credentials inside URLs. */
export function describeConfig(config: Config): Record<string, unknown> {
  const stripCredentials = (value: string) => {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  };
  return {
    host: config.host,
    port: config.port,
    databaseUrl: stripCredentials(config.databaseUrl),
    redisUrl: stripCredentials(config.redisUrl),
    redisTopology: config.redisTopology,
    redisChannel: config.redisChannel,
    redisStream: config.redisStream,
    listenerMaxInHand: config.listenerMaxInHand,
    temporal: { ...describeTemporalConnection(config.temporal), taskQueue: config.temporal.taskQueue },
    delivery: config.delivery,
    ssrfAllowCidrs: config.ssrfAllowCidrs,
    listenerEmbeddedWorker: config.listenerEmbeddedWorker,
    encryptionKey: config.encryptionKey ? 'set' : 'missing',
    apiRateLimitPerMinute: config.apiRateLimitPerMinute,
    limits: config.limits,
    retention: config.retention,
    metrics: config.metrics,
  };
}

/**
 * The API and the worker encrypt and decrypt signing secrets: they refuse to start without a key.
 * The dev command generates one once into .data/ and passes it in; production must set it.
 */
export function requireEncryptionKey(config: Config): Buffer {
  if (!config.encryptionKey) {
    throw new ConfigError(['WEBHOOKS_ENCRYPTION_KEY: required (32 bytes, base64); e.g. `openssl rand -base64 32`']);
  }
  return Buffer.from(config.encryptionKey, 'base64');
}
