/**
 * Redis for tests: unique channel names per run (the machine's Redis is shared with other test runs), a publisher,
 * and a PRIVATE redis-server on a free port for tests that stop and restart Redis (never the shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createRedisClient, type RedisClient, type RedisTarget } from '../../src/redis/clients';
import { stopProcess } from '../../tools/dev/temporal-dev-server';
import { freePort } from './free-port';

/** A channel no other test run or file uses. */
export function uniqueChannel(label: string): string {
  return `webhooks:test:${process.env.TEST_RUN_ID ?? 'local'}:${label}:${randomBytes(4).toString('hex')}`;
}

/** A stream key no other test run or file uses. */
export function uniqueStream(label: string): string {
  return `webhooks:test-stream:${process.env.TEST_RUN_ID ?? 'local'}:${label}:${randomBytes(4).toString('hex')}`;
}

export interface Publisher {
  publish(channel: string, message: string | object): Promise<number>;
  close(): Promise<void>;
}

/** A REDIS_URL (standalone), or a configured mode (Sentinel, Cluster) as the engine's processes use it. */
export type TestRedisTarget = string | RedisTarget;

function testClient(target: TestRedisTarget, connectionName: string): RedisClient {
  const resolved: RedisTarget = typeof target === 'string' ? { redisUrl: target, redisTopology: { mode: 'standalone' } } : target;
  return createRedisClient(resolved, { connectionName, maxRetriesPerRequest: 1 });
}

/**
 * A publishing client; `publish` resolves with the number of subscribers that received the message (in a Redis
 * Cluster: those connected to the node it was published on).
 */
export function createPublisher(target: TestRedisTarget): Publisher {
  const client = testClient(target, 'test-publisher');
  client.on('error', () => undefined);
  return {
    publish: (channel, message) => client.publish(channel, typeof message === 'string' ? message : JSON.stringify(message)),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Publishes until at least one subscriber receives the message (a listener that is still subscribing gets it). */
export async function publishWhenSubscribed(
  publisher: Publisher,
  channel: string,
  message: string | object,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await publisher.publish(channel, message).catch(() => 0)) === 0) {
    if (Date.now() > deadline) throw new Error(`no subscriber on ${channel} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Adds entries to streams as the README tells publishers to (`XADD <stream> * event <json>`). */
export interface StreamPublisher {
  readonly redis: RedisClient;
  /** One entry; resolves with its id. */
  add(stream: string, message: string | object): Promise<string>;
  /** Many entries, pipelined in chunks (a burst as fast as Redis takes it). */
  addMany(stream: string, messages: ReadonlyArray<string | object>, chunk?: number): Promise<void>;
  /** An entry with arbitrary fields (to add malformed ones). */
  addFields(stream: string, fields: string[]): Promise<string>;
  close(): Promise<void>;
}

export function createStreamPublisher(target: TestRedisTarget): StreamPublisher {
  const redis = testClient(target, 'test-stream-publisher');
  redis.on('error', () => undefined);
  const text = (message: string | object) => (typeof message === 'string' ? message : JSON.stringify(message));
  return {
    redis,
    add: async (stream, message) => String(await redis.call('XADD', stream, '*', 'event', text(message))),
    async addMany(stream, messages, chunk = 1000) {
      for (let i = 0; i < messages.length; i += chunk) {
        const pipeline = redis.pipeline();
        for (const message of messages.slice(i, i + chunk)) pipeline.call('XADD', stream, '*', 'event', text(message));
        const results = (await pipeline.exec()) ?? [];
        const failure = results.find(([error]) => error)?.[0];
        if (failure) throw failure;
      }
    },
    addFields: async (stream, fields) => String(await redis.call('XADD', stream, '*', ...fields)),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** XPENDING's summary of a group: how many entries are read and not acknowledged, per consumer. */
export async function pendingOf(
  redis: RedisClient,
  stream: string,
  group: string,
): Promise<{ count: number; consumers: Record<string, number> }> {
  const [count, , , consumers] = (await redis.call('XPENDING', stream, group)) as [
    number,
    string | null,
    string | null,
    Array<[string, string]> | null,
  ];
  return { count: Number(count), consumers: Object.fromEntries((consumers ?? []).map(([name, n]) => [name, Number(n)])) };
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: an outage, not a clean shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A redis-server of its own on a free port. Without persistence by default (a restart loses everything, as a Redis
 * without persistence does); `appendOnly` keeps an AOF with fsync on every write in a temporary directory, so that
 * even a SIGKILL loses nothing. Always `stop()` it in afterAll.
 */
export async function startPrivateRedis(options: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const dir = options.appendOnly ? mkdtempSync(path.join(tmpdir(), 'webhooks-redis-')) : null;
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`private redis-server on ${port} did not answer: ${(error as Error).message}`, { cause: error });
          probe.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      probe.disconnect();
    }
  };

  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return {
    port,
    url,
    kill,
    start,
    stop: async () => {
      const running = child;
      child = null;
      if (running) await stopProcess(running, 3_000);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
