import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import { createRedisClient, describeRedisTarget, isCluster, type RedisClient } from '../../src/redis/clients';

/** Built without connecting (lazyConnect): what each mode would connect with. */
const clients: RedisClient[] = [];
const build = (env: NodeJS.ProcessEnv) => {
  const client = createRedisClient(loadConfig(env), { connectionName: 'unit', lazyConnect: true });
  clients.push(client);
  return client;
};
afterAll(() => clients.forEach((client) => client.disconnect()));

describe('createRedisClient', () => {
  it('connects to the server of REDIS_URL in standalone mode, with its credentials, TLS and db', () => {
    const client = build({ REDIS_URL: 'rediss://app:s%40cret@redis.internal:6380/2' });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({
      host: 'redis.internal',
      port: 6380,
      username: 'app',
      password: 's@cret',
      db: 2,
      connectionName: 'unit',
    });
    expect((client as Redis).options.tls).toBeDefined();
  });

  it('asks the Sentinels for the named primary, with the credentials, TLS and db of REDIS_URL', () => {
    const client = build({
      REDIS_URL: 'rediss://app:pw@ignored:6379/3',
      REDIS_SENTINELS: '10.0.0.1:26379,[::1]:26380',
      REDIS_SENTINEL_MASTER: 'webhooks',
    });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'webhooks',
      role: 'master',
      username: 'app',
      password: 'pw',
      db: 3,
      enableTLSForSentinelMode: true,
    });
  });

  it('takes a password that is not valid percent-encoding as written, rather than failing', () => {
    const client = build({ REDIS_URL: 'redis://:100%zz@ignored:6379', REDIS_CLUSTER_NODES: 'a:7000' }) as Cluster;
    expect(client.options.redisOptions?.password).toBe('100%zz');
  });

  it('opens a Cluster over the given nodes, with the credentials and TLS of REDIS_URL', () => {
    const client = build({ REDIS_URL: 'rediss://app:pw@ignored:6379', REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    expect(client).toBeInstanceOf(Cluster);
    expect(isCluster(client)).toBe(true);
    const cluster = client as Cluster;
    // ioredis keeps the nodes it starts from in a private field.
    expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(cluster.options.redisOptions).toMatchObject({ username: 'app', password: 'pw', connectionName: 'unit' });
    expect(cluster.options.redisOptions?.tls).toBeDefined();
    expect(cluster.options.scaleReads).toBe('master');
  });

  it('describes where it points without the password', () => {
    const described = [
      { REDIS_URL: 'redis://app:hunter2@redis.internal:6380' },
      { REDIS_URL: 'redis://:hunter2@x:1', REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_MASTER: 'webhooks' },
      { REDIS_URL: 'redis://:hunter2@x:1', REDIS_CLUSTER_NODES: 'a:7000,[::1]:7001' },
    ].map((env) => describeRedisTarget(loadConfig(env)));
    expect(described).toEqual([
      'redis.internal:6380',
      'primary webhooks of the Sentinels 10.0.0.1:26379',
      'the Redis Cluster a:7000,[::1]:7001',
    ]);
  });
});
