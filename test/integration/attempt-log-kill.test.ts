/**
 * A listener PROCESS hosting the embedded worker (src/main-listener.ts, as production runs it) is SIGKILLed while the
 * receiver holds its request; another listener finishes the delivery. The receiver gets the request twice (same
 * webhook-id) and the attempt log says so: one entry per request, the killed one read as interrupted, so the
 * receiver's count of POSTs and the attempt log's entries agree.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { INTERRUPTED_ATTEMPT_ERROR } from '../../src/deliveries/attempt-log';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { newEvent, waitFor } from '../helpers/engine';
import { spawnListener, type ListenerProcess } from '../helpers/listener-process';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, uniqueStream, type StreamPublisher } from '../helpers/redis';
import { fixtureAccountId, insertSubscription } from '../helpers/subscription-fixtures';
import { uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(150_000);

const engineEnv = {
  WEBHOOKS_REQUEST_TIMEOUT_MS: '1000',
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_BACKOFF: '1',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_MAX_ATTEMPTS: '5',
  SSRF_ALLOW_CIDRS: '127.0.0.1/32',
};

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let receiver: Receiver;
let streams: StreamPublisher;
let stream: string;
const listeners: ListenerProcess[] = [];

beforeAll(async () => {
  config = loadConfig({ ...process.env, ...engineEnv, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('attempt-kill') });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 3 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  receiver = await startReceiver();
  streams = createStreamPublisher(config.redisUrl);
  stream = uniqueStream('attempt-kill');
});

afterAll(async () => {
  for (const listener of listeners) await listener.stop();
  await streams?.redis.del(stream);
  await streams?.close();
  await receiver?.close();
  await dataSource?.destroy();
});

async function startListener(): Promise<ListenerProcess> {
  const listener = spawnListener({
    ...process.env,
    ...engineEnv,
    WEBHOOKS_REDIS_CHANNEL: '',
    WEBHOOKS_REDIS_STREAM: stream,
    WEBHOOKS_REDIS_GROUP: 'attempt-kill',
    WEBHOOKS_STREAM_BLOCK_MS: '500',
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    LOG_LEVEL: 'info',
  });
  listeners.push(listener);
  await listener.logLine((line) => line.msg === 'stream reader ready', 0, 60_000);
  return listener;
}

async function kill(listener: ListenerProcess): Promise<void> {
  const exited = new Promise((resolve) => listener.child.once('exit', resolve));
  listener.child.kill('SIGKILL');
  await exited;
}

/** A subscription of its own on the receiver (its own path), and what the receiver got for it. */
async function subscribed() {
  const path = `/hooks/${randomBytes(4).toString('hex')}`;
  const { subscription } = await insertSubscription(dataSource, box, {
    url: `${receiver.origin}${path}`,
    accountId: fixtureAccountId('attempt-kill'),
  });
  return { subscription, posts: () => receiver.requests.filter((r) => r.path === path) };
}

async function attemptLogOnceSucceeded(eventId: string, subscriptionId: string) {
  const deliveries = createDeliveryRepository(dataSource);
  const delivery = await waitFor(
    async () => {
      const row = await deliveries.findByEventAndSubscription(eventId, subscriptionId);
      return row?.status === 'SUCCESS' ? row : undefined;
    },
    60_000,
    'the delivery recorded as SUCCESS',
  );
  return { delivery, attempts: await deliveries.listAttempts(delivery.id) };
}

describe('a listener process killed while the receiver holds its request', () => {
  it('logs the killed local first attempt as interrupted and the one made again as its own entry: POSTs = entries', async () => {
    const { subscription, posts } = await subscribed();
    receiver.enqueue({ hang: true });
    receiver.setDefault({ status: 200 });
    const doomed = await startListener();
    const event = newEvent(subscription.accountId);
    await streams.add(stream, event);
    await waitFor(async () => (posts().length === 1 ? true : undefined), 30_000, 'the held request');
    await kill(doomed);

    const survivor = await startListener();
    const { delivery, attempts } = await attemptLogOnceSucceeded(event.id, subscription.id);
    await survivor.stop();
    expect(posts()).toHaveLength(attempts.length);
    expect(posts().map((p) => p.headers['webhook-id'])).toEqual([webhookIdFor(delivery.id), webhookIdFor(delivery.id)]);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, null, INTERRUPTED_ATTEMPT_ERROR],
      [2, 200, null],
    ]);
  });

  it('does the same for a retried attempt (a regular activity) killed mid-request: its retry is an entry of its own', async () => {
    const { subscription, posts } = await subscribed();
    receiver.reset();
    receiver.enqueue({ status: 500 }, { hang: true });
    receiver.setDefault({ status: 200 });
    const doomed = await startListener();
    const event = newEvent(subscription.accountId);
    await streams.add(stream, event);
    await waitFor(async () => (posts().length === 2 ? true : undefined), 30_000, 'the held second request');
    await kill(doomed);

    const survivor = await startListener();
    const { attempts } = await attemptLogOnceSucceeded(event.id, subscription.id);
    await survivor.stop();
    expect(posts()).toHaveLength(attempts.length);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, null, INTERRUPTED_ATTEMPT_ERROR],
      [3, 200, null],
    ]);
  });
});
