import { ConfigError, describeConfig, loadConfig, requireEncryptionKey } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/webhooks');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.redisChannel).toBe('webhooks:events');
    expect(config.redisStream).toEqual({
      key: 'webhooks:stream',
      group: 'webhooks-listeners',
      batchSize: 100,
      blockMs: 5000,
      claimIdleMs: 30_000,
      maxDeliveries: 5,
      trim: { strategy: 'minid' },
    });
    expect(config.listenerMaxInHand).toBe(200);
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'webhooks-queue' });
    expect(config.delivery.requestTimeoutMs).toBe(5000);
    expect(config.ssrfAllowCidrs).toEqual([]);
    expect(config.metrics).toEqual({ listenerPort: 9464, workerPort: 9465, workerSdkPort: 9466 });
    expect(config.listenerEmbeddedWorker).toBe(true);
  });

  it('bounds 100 subscriptions and 100 live portal sessions per account and 10 live secrets per subscription by default, each configurable', () => {
    expect(loadConfig({}).limits).toEqual({ subscriptionsPerAccount: 100, liveSecretsPerSubscription: 10, portalSessionsPerAccount: 100 });
    expect(
      loadConfig({
        WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '5',
        WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION: '2',
        WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT: '1',
      }).limits,
    ).toEqual({ subscriptionsPerAccount: 5, liveSecretsPerSubscription: 2, portalSessionsPerAccount: 1 });
  });

  it('keeps 30 days by default and reads WEBHOOKS_RETENTION_DAYS and WEBHOOKS_RETENTION_BATCH_SIZE', () => {
    expect(loadConfig({}).retention).toEqual({ days: 30, batchSize: 1000 });
    expect(loadConfig({ WEBHOOKS_RETENTION_DAYS: '7', WEBHOOKS_RETENTION_BATCH_SIZE: '50' }).retention).toEqual({ days: 7, batchSize: 50 });
  });

  it('switches failing subscriptions off after 120 hours by default; WEBHOOKS_DISABLE_AFTER_HOURS takes fractions, 0 is never', () => {
    expect(loadConfig({}).delivery.disableAfterMs).toBe(120 * 3_600_000);
    expect(loadConfig({ WEBHOOKS_DISABLE_AFTER_HOURS: '24' }).delivery.disableAfterMs).toBe(24 * 3_600_000);
    expect(loadConfig({ WEBHOOKS_DISABLE_AFTER_HOURS: '0.5' }).delivery.disableAfterMs).toBe(1_800_000);
    expect(loadConfig({ WEBHOOKS_DISABLE_AFTER_HOURS: '0.001' }).delivery.disableAfterMs).toBe(3_600);
    expect(loadConfig({ WEBHOOKS_DISABLE_AFTER_HOURS: '0' }).delivery.disableAfterMs).toBeNull();
  });

  it('reads the metrics ports; 0 is a free port for ours and off for the SDK exporter', () => {
    const config = loadConfig({
      WEBHOOKS_LISTENER_METRICS_PORT: '0',
      WEBHOOKS_WORKER_METRICS_PORT: '19465',
      WEBHOOKS_WORKER_SDK_METRICS_PORT: '0',
    });
    expect(config.metrics).toEqual({ listenerPort: 0, workerPort: 19465, workerSdkPort: null });
  });

  it('bounds the requests in flight per endpoint to 10 by default, or WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT', () => {
    expect(loadConfig({}).delivery.maxInFlightPerEndpoint).toBe(10);
    expect(loadConfig({ WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: '3' }).delivery.maxInFlightPerEndpoint).toBe(3);
  });

  it("turns the listener's embedded worker off with WEBHOOKS_LISTENER_EMBEDDED_WORKER=false", () => {
    expect(loadConfig({ WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'false' }).listenerEmbeddedWorker).toBe(false);
    expect(loadConfig({ WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'true' }).listenerEmbeddedWorker).toBe(true);
  });

  it('points portal links at http://HOST:PORT by default, or at WEBHOOKS_PORTAL_BASE_URL without its trailing slashes', () => {
    expect(loadConfig({}).portalBaseUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).portalBaseUrl).toBe('http://0.0.0.0:8080');
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).portalBaseUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ WEBHOOKS_PORTAL_BASE_URL: 'https://hooks.example.com/' }).portalBaseUrl).toBe('https://hooks.example.com');
    expect(loadConfig({ WEBHOOKS_PORTAL_BASE_URL: 'https://example.com/webhooks//' }).portalBaseUrl).toBe('https://example.com/webhooks');
    expect(loadConfig({ WEBHOOKS_PORTAL_BASE_URL: '', PORT: '8080' }).portalBaseUrl).toBe('http://127.0.0.1:8080');
  });

  it('refuses a WEBHOOKS_PORTAL_BASE_URL that is not http(s) or carries a query, fragment or credentials', () => {
    for (const value of [
      'hooks.example.com',
      'ftp://hooks.example.com',
      'javascript:alert(1)',
      'https://x.example/?a=1',
      'https://x.example/#top',
      'https://u:p@x.example',
    ]) {
      expect(() => loadConfig({ WEBHOOKS_PORTAL_BASE_URL: value })).toThrow(/WEBHOOKS_PORTAL_BASE_URL/);
    }
  });

  it('spreads the default retry schedule over about a day', () => {
    const { retry } = loadConfig({}).delivery;
    let total = 0;
    let interval = retry.initialIntervalMs;
    for (let attempt = 1; attempt < retry.maximumAttempts; attempt++) {
      total += Math.min(interval, retry.maximumIntervalMs);
      interval *= retry.backoffCoefficient;
    }
    const hours = total / 3_600_000;
    expect(hours).toBeGreaterThan(18);
    expect(hours).toBeLessThan(36);
  });

  it('parses SSRF_ALLOW_CIDRS into normalised ranges', () => {
    const config = loadConfig({ SSRF_ALLOW_CIDRS: '127.0.0.1/32, ::1 ,10.0.0.0/8' });
    expect(config.ssrfAllowCidrs).toEqual(['127.0.0.1/32', '::1/128', '10.0.0.0/8']);
  });

  it.each([
    ['PORT', 'eighty', 'PORT'],
    ['PORT', '70000', 'PORT'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL'],
    ['REDIS_URL', 'not a url', 'REDIS_URL'],
    ['WEBHOOKS_REQUEST_TIMEOUT_MS', '-1', 'WEBHOOKS_REQUEST_TIMEOUT_MS'],
    ['WEBHOOKS_RETRY_BACKOFF', '0.5', 'WEBHOOKS_RETRY_BACKOFF'],
    ['WEBHOOKS_RETRY_MAX_ATTEMPTS', '0', 'WEBHOOKS_RETRY_MAX_ATTEMPTS'],
    ['SSRF_ALLOW_CIDRS', '10.0.0.0/99', 'SSRF_ALLOW_CIDRS'],
    ['WEBHOOKS_ENCRYPTION_KEY', 'c2hvcnQ=', 'WEBHOOKS_ENCRYPTION_KEY'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['WEBHOOKS_RETENTION_DAYS', '0', 'WEBHOOKS_RETENTION_DAYS'],
    ['WEBHOOKS_RETENTION_DAYS', '3.5', 'WEBHOOKS_RETENTION_DAYS'],
    ['WEBHOOKS_RETENTION_BATCH_SIZE', '0', 'WEBHOOKS_RETENTION_BATCH_SIZE'],
    ['WEBHOOKS_LISTENER_METRICS_PORT', '65536', 'WEBHOOKS_LISTENER_METRICS_PORT'],
    ['WEBHOOKS_WORKER_METRICS_PORT', 'nine', 'WEBHOOKS_WORKER_METRICS_PORT'],
    ['WEBHOOKS_WORKER_SDK_METRICS_PORT', '-1', 'WEBHOOKS_WORKER_SDK_METRICS_PORT'],
    ['WEBHOOKS_REDIS_GROUP', '   ', 'WEBHOOKS_REDIS_GROUP'],
    ['WEBHOOKS_REDIS_STREAM', 's'.repeat(201), 'WEBHOOKS_REDIS_STREAM'],
    ['WEBHOOKS_STREAM_BATCH_SIZE', '0', 'WEBHOOKS_STREAM_BATCH_SIZE'],
    ['WEBHOOKS_STREAM_BATCH_SIZE', '1001', 'WEBHOOKS_STREAM_BATCH_SIZE'],
    ['WEBHOOKS_STREAM_BLOCK_MS', '5', 'WEBHOOKS_STREAM_BLOCK_MS'],
    ['WEBHOOKS_STREAM_CLAIM_IDLE_MS', '999', 'WEBHOOKS_STREAM_CLAIM_IDLE_MS'],
    ['WEBHOOKS_STREAM_MAX_DELIVERIES', '0', 'WEBHOOKS_STREAM_MAX_DELIVERIES'],
    ['WEBHOOKS_STREAM_TRIM', 'maxlen', 'WEBHOOKS_STREAM_TRIM'],
    ['WEBHOOKS_STREAM_TRIM', 'maxlen:0', 'WEBHOOKS_STREAM_TRIM'],
    ['WEBHOOKS_STREAM_TRIM', 'always', 'WEBHOOKS_STREAM_TRIM'],
    ['WEBHOOKS_LISTENER_MAX_IN_HAND', '0', 'WEBHOOKS_LISTENER_MAX_IN_HAND'],
    ['WEBHOOKS_LISTENER_EMBEDDED_WORKER', 'yes', 'WEBHOOKS_LISTENER_EMBEDDED_WORKER'],
    ['WEBHOOKS_DISABLE_AFTER_HOURS', '-1', 'WEBHOOKS_DISABLE_AFTER_HOURS'],
    ['WEBHOOKS_DISABLE_AFTER_HOURS', 'five days', 'WEBHOOKS_DISABLE_AFTER_HOURS'],
    ['WEBHOOKS_DISABLE_AFTER_HOURS', '8761', 'WEBHOOKS_DISABLE_AFTER_HOURS'],
    ['WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT', '0', 'WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT'],
    ['WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT', '1001', 'WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT'],
    ['WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT', 'ten', 'WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT'],
    ['WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT', '0', 'WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT'],
    ['WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT', 'many', 'WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT'],
    ['WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION', '1', 'WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION'],
    ['WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION', '101', 'WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION'],
    ['WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT', '0', 'WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT'],
    ['WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT', '2.5', 'WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT'],
  ])('refuses %s=%s with a message naming the variable', (name, value, named) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(named));
  });

  it('switches a way in off with an empty channel or stream, and refuses both off', () => {
    expect(loadConfig({ WEBHOOKS_REDIS_CHANNEL: '' }).redisChannel).toBeNull();
    expect(loadConfig({ WEBHOOKS_REDIS_STREAM: ' ' }).redisStream).toBeNull();
    expect(() => loadConfig({ WEBHOOKS_REDIS_CHANNEL: '', WEBHOOKS_REDIS_STREAM: '' })).toThrow(/both are empty/);
    // Elsewhere an empty value still means "the default".
    expect(loadConfig({ WEBHOOKS_REDIS_GROUP: '' }).redisStream?.group).toBe('webhooks-listeners');
  });

  it('parses the stream settings and the trim policy', () => {
    const config = loadConfig({
      WEBHOOKS_REDIS_STREAM: 'events:in',
      WEBHOOKS_REDIS_GROUP: 'engine',
      WEBHOOKS_STREAM_BATCH_SIZE: '20',
      WEBHOOKS_STREAM_BLOCK_MS: '250',
      WEBHOOKS_STREAM_CLAIM_IDLE_MS: '60000',
      WEBHOOKS_STREAM_MAX_DELIVERIES: '3',
      WEBHOOKS_STREAM_TRIM: 'maxlen:100000',
      WEBHOOKS_LISTENER_MAX_IN_HAND: '50',
    });
    expect(config.redisStream).toEqual({
      key: 'events:in',
      group: 'engine',
      batchSize: 20,
      blockMs: 250,
      claimIdleMs: 60_000,
      maxDeliveries: 3,
      trim: { strategy: 'maxlen', maxLen: 100_000 },
    });
    expect(config.listenerMaxInHand).toBe(50);
    expect(loadConfig({ WEBHOOKS_STREAM_TRIM: 'none' }).redisStream?.trim).toEqual({ strategy: 'none' });
  });

  it('does not echo a bad secret value in its error', () => {
    const secretish = 'not-base64-but-secret-looking-value!!';
    try {
      loadConfig({ WEBHOOKS_ENCRYPTION_KEY: secretish });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain(secretish);
    }
  });

  it('refuses an initial retry interval above the maximum', () => {
    expect(() => loadConfig({ WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '5000', WEBHOOKS_RETRY_MAX_INTERVAL_MS: '1000' })).toThrow(
      /WEBHOOKS_RETRY_INITIAL_INTERVAL_MS/,
    );
  });

  it('requires an encryption key where secrets are handled, and describes config without it', () => {
    expect(() => requireEncryptionKey(loadConfig({}))).toThrow(/WEBHOOKS_ENCRYPTION_KEY/);
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({ WEBHOOKS_ENCRYPTION_KEY: key, DATABASE_URL: 'postgres://u:hunter2@db:5432/w' });
    expect(requireEncryptionKey(config)).toHaveLength(32);
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain(key);
    expect(described).not.toContain('hunter2');
  });
});

describe('loadConfig: the Redis mode', () => {
  it.each<[string, NodeJS.ProcessEnv, unknown]>([
    ['standalone by default', {}, { mode: 'standalone' }],
    [
      'Sentinel mode with its primary name',
      { REDIS_SENTINELS: '10.0.0.1:26379, sentinel-2.internal:26380,[::1]:26381', REDIS_SENTINEL_MASTER: 'webhooks' },
      {
        mode: 'sentinel',
        masterName: 'webhooks',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-2.internal', port: 26380 },
          { host: '::1', port: 26381 },
        ],
      },
    ],
    [
      'Cluster mode',
      { REDIS_CLUSTER_NODES: 'redis-a:7000,redis-b:7001', REDIS_URL: 'rediss://user:pw@ignored:6379/0' },
      {
        mode: 'cluster',
        nodes: [
          { host: 'redis-a', port: 7000 },
          { host: 'redis-b', port: 7001 },
        ],
      },
    ],
    ['empty variables as unset', { REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '', REDIS_CLUSTER_NODES: '' }, { mode: 'standalone' }],
  ])('%s', (_name, env, topology) => {
    expect(loadConfig(env).redisTopology).toEqual(topology);
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    [
      'both modes',
      { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'b:7000' },
      /REDIS_SENTINELS, REDIS_CLUSTER_NODES: both are set/,
    ],
    ['sentinels without a primary name', { REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS/],
    ['a primary name without sentinels', { REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINEL_MASTER: set without REDIS_SENTINELS/],
    ['a sentinel without a port', { REDIS_SENTINELS: 'a', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: must be host:port/],
    ['a sentinel port out of range', { REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: must be host:port/],
    [
      'an empty item in the sentinel list',
      { REDIS_SENTINELS: 'a:1,,b:2', REDIS_SENTINEL_MASTER: 'm' },
      /REDIS_SENTINELS: must be host:port/,
    ],
    ['a URL as a sentinel', { REDIS_SENTINELS: 'redis://a:26379', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: must be host:port/],
    ['an unbracketed IPv6 node', { REDIS_CLUSTER_NODES: '::1:7000' }, /REDIS_CLUSTER_NODES: must be host:port/],
    ['a node port of 0', { REDIS_CLUSTER_NODES: 'a:0' }, /REDIS_CLUSTER_NODES: must be host:port/],
    ['a node with a space in its host', { REDIS_CLUSTER_NODES: 'a b:7000' }, /REDIS_CLUSTER_NODES: must be host:port/],
    ['a trailing comma', { REDIS_CLUSTER_NODES: 'a:7000,' }, /REDIS_CLUSTER_NODES: must be host:port/],
    ['whitespace only', { REDIS_CLUSTER_NODES: '  ' }, /REDIS_CLUSTER_NODES: must not be empty/],
    [
      'a Cluster with a database other than 0',
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://a:7000/3' },
      /REDIS_URL: a Redis Cluster has database 0 only/,
    ],
  ])('refuses %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('does not echo the node list in its error, and describes the mode without the password of REDIS_URL', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'secret-host-name:x' })).toThrow(/^(?![\s\S]*secret-host-name)/);
    const config = loadConfig({
      REDIS_URL: 'rediss://app:hunter2@ignored:6379/2',
      REDIS_SENTINELS: '10.0.0.1:26379',
      REDIS_SENTINEL_MASTER: 'webhooks',
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain('hunter2');
    expect(described).toContain('"mode":"sentinel"');
    expect(described).toContain('10.0.0.1');
  });
});
