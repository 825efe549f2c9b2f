/**
 * Redis for tests: unique channel names per run (the machine's Redis is shared with other test runs), a publisher,
 * and a PRIVATE redis-server on a free port for tests that stop and restart Redis (never the shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { stopProcess } from '../../src/dev/temporal-dev-server';
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

/** A publishing client; `publish` resolves with the number of subscribers that received the message. */
export function createPublisher(redisUrl: string): Publisher {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return {
    publish: (channel, message) => client.publish(channel, typeof message === 'string' ? message : JSON.stringify(message)),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Publishes until at least one subscriber receives the message (a listener that is still subscribing gets it). */
export async function publishWhenSubscribed(publisher: Publisher, channel: string, message: string | object, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await publisher.publish(channel, message).catch(() => 0)) === 0) {
    if (Date.now() > deadline) throw new Error(`no subscriber on ${channel} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

/** A redis-server of its own on a free port, without persistence. Always `stop()` it in afterAll. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
          if (Date.now() > deadline) throw new Error(`private redis-server on ${port} did not answer: ${(error as Error).message}`);
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
    },
  };
}
