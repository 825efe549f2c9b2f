/**
 * The one place that builds Redis connections, for the configured mode (config.redisTopology):
 * - standalone: the server of REDIS_URL;
 * - sentinel: a connection to whichever server the Sentinels name primary, asked again on every reconnection (so a
 *   failover costs a reconnection, and the Sentinels' +switch-master notice starts it at once);
 * - cluster: an ioredis Cluster over the given nodes, following slot moves and failovers.
 * User, password, TLS (rediss:) and db come from REDIS_URL in every mode. Every process (listener, worker, API, CLI)
 * opens its connections here, so that they all use the same mode.
 *
 * Cluster rules the callers keep: a command with several keys (the rate limiter's scripts) names keys of one hash
 * slot (`{tag}`); a blocking read and the CLIENT UNBLOCK that ends it must reach the same node (nodeOf below).
 */
import { Cluster, Redis, type ClusterOptions, type ClusterStatus, type RedisOptions, type RedisStatus } from 'ioredis';
import type { Config, HostPort } from '../config';

export type RedisClient = Redis | Cluster;
export type RedisClientStatus = RedisStatus | ClusterStatus;
export type RedisTarget = Pick<Config, 'redisUrl' | 'redisTopology'>;

export interface RedisClientOptions {
  /** CLIENT SETNAME of every connection (shows in CLIENT LIST). */
  readonly connectionName: string;
  /** Connect on first command (or connect()) rather than at once. */
  readonly lazyConnect?: boolean;
  /** Tries of a command across reconnections; null: a command waits for Redis to come back. Default 20. */
  readonly maxRetriesPerRequest?: number | null;
  /** Queue commands while disconnected (default true); false: they fail at once. */
  readonly enableOfflineQueue?: boolean;
  readonly connectTimeout?: number;
  readonly commandTimeout?: number;
  /** Longest wait between reconnection tries; null: never reconnect (a one-shot command). Default 2 s. */
  readonly maxReconnectDelayMs?: number | null;
  /** Subscribe again to the channels after a reconnection (ioredis' default, true). */
  readonly autoResubscribe?: boolean;
  /** RESP version (ioredis' default otherwise). */
  readonly protocol?: 2 | 3;
}

/** A percent-encoded URL part; as written when it is not valid percent-encoding. */
const decoded = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

/** What REDIS_URL says besides the server: credentials, TLS and db. */
function connectionSettings(redisUrl: string): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    ...(url.username ? { username: decoded(url.username) } : {}),
    ...(url.password ? { password: decoded(url.password) } : {}),
    ...(db !== '' && /^\d+$/.test(db) ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  };
}

const nodesOf = (nodes: ReadonlyArray<HostPort>) => nodes.map(({ host, port }) => ({ host, port }));

export function createRedisClient(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const maxDelay = options.maxReconnectDelayMs === undefined ? 2_000 : options.maxReconnectDelayMs;
  const retry = (times: number): number | null => (maxDelay === null ? null : Math.min(times * 200, maxDelay));
  const common: RedisOptions = {
    connectionName: options.connectionName,
    lazyConnect: options.lazyConnect ?? false,
    enableReadyCheck: true,
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    ...(options.commandTimeout !== undefined ? { commandTimeout: options.commandTimeout } : {}),
    ...(options.autoResubscribe !== undefined ? { autoResubscribe: options.autoResubscribe } : {}),
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
  };
  const perRequest = options.maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest: options.maxRetriesPerRequest };
  const offline = options.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: options.enableOfflineQueue };
  const topology = target.redisTopology;
  switch (topology.mode) {
    case 'standalone':
      return new Redis(target.redisUrl, { ...common, ...perRequest, ...offline, retryStrategy: retry });
    case 'sentinel': {
      const url = new URL(target.redisUrl);
      return new Redis({
        ...common,
        ...perRequest,
        ...offline,
        ...connectionSettings(target.redisUrl),
        sentinels: nodesOf(topology.sentinels),
        name: topology.masterName,
        role: 'master',
        // The Sentinels themselves speak TLS when REDIS_URL does; they take no credentials from it.
        enableTLSForSentinelMode: url.protocol === 'rediss:',
        // A primary demoted to replica (a failover it lived through) answers writes with READONLY: reconnect to the
        // one the Sentinels name now and send the command again there. (ioredis' failoverDetector, which would
        // listen for +switch-master, leaves reconnecting Sentinel connections behind after a failover.)
        reconnectOnError: (error: Error) => (/^READONLY/.test(error.message) ? 2 : false),
        retryStrategy: retry,
        // Every Sentinel unreachable: keep asking (a one-shot command gives up).
        sentinelRetryStrategy: retry,
      });
    }
    case 'cluster': {
      const { db: _db, ...settings } = connectionSettings(target.redisUrl);
      const clusterOptions: ClusterOptions = {
        ...offline,
        lazyConnect: common.lazyConnect,
        enableReadyCheck: true,
        // Reads and writes on the primaries: a stream consumer group reads with XREADGROUP, a write.
        scaleReads: 'master',
        clusterRetryStrategy: retry,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        // A node restarting leaves its slots unserved for a while: redirections and retries go on past it.
        maxRedirections: 64,
        slotsRefreshTimeout: 2_000,
        redisOptions: { ...common, ...perRequest, ...settings, ...(settings.tls ? { tls: {} } : {}) },
      };
      return new Cluster(nodesOf(topology.nodes), clusterOptions);
    }
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The connection that serves `key`: the client itself, or in a Cluster the connection of the client to the primary
 * holding the key's slot now (CLIENT ID / CLIENT UNBLOCK of a blocking read on it). Null when the Cluster does not
 * know that node yet.
 */
export async function nodeOf(client: RedisClient, key: string): Promise<Redis | null> {
  if (!isCluster(client)) return client;
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
  const nodeKey = client.slots[slot]?.[0];
  if (!nodeKey) return null;
  return client.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === nodeKey) ?? null;
}

/**
 * The connection of `client` to the same server as `node` (a connection of another client, from nodeOf), without
 * asking Redis anything: the client itself unless it is a Cluster; null when the Cluster has no connection to it.
 */
export function sameServerIn(client: RedisClient, node: Redis): Redis | null {
  if (!isCluster(client)) return client;
  const { host, port } = node.options;
  return client.nodes('master').find((candidate) => candidate.options.host === host && candidate.options.port === port) ?? null;
}

/**
 * The socket that Pub/Sub messages arrive on, to pause and resume it: the client's own, or the connection a
 * Cluster chose for its subscriptions (ioredis keeps it in the Cluster's subscriber; null while none is chosen).
 */
export function subscriberSocket(client: RedisClient): { pause(): void; resume(): void } | null {
  if (!isCluster(client)) return client.stream ?? null;
  const holder = client as unknown as { subscriber?: { getInstance?: () => Redis | null } };
  return holder.subscriber?.getInstance?.()?.stream ?? null;
}

/** Closes a client: QUIT when connected (what was sent is answered), a plain disconnect otherwise. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().then(
    () => undefined,
    () => client.disconnect(),
  );
}

/** Where the client points, for messages: never the credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  const topology = target.redisTopology;
  const list = (nodes: ReadonlyArray<HostPort>) =>
    nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
  switch (topology.mode) {
    case 'standalone':
      return new URL(target.redisUrl).host;
    case 'sentinel':
      return `primary ${topology.masterName} of the Sentinels ${list(topology.sentinels)}`;
    case 'cluster':
      return `the Redis Cluster ${list(topology.nodes)}`;
  }
}
