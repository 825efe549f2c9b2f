/**
 * Throttling on real parts: Temporal dev server, Postgres, the shared Redis, in-process workers wired like
 * production and real HTTP receivers on 127.0.0.1. A subscription's rateLimitPerSecond holds across two workers
 * without spending attempts; a hanging endpoint holds no more than its in-flight bound and does not hold back
 * another endpoint's deliveries.
 */
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository, type DeliveryRepository } from '../../src/deliveries/delivery.repository';
import { WebhookSubscription } from '../../src/subscriptions/subscription.entity';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { startDelivery, uniqueTaskQueue } from '../helpers/temporal';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

const baseEnv = {
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_BACKOFF: '1',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '100',
  SSRF_ALLOW_CIDRS: '127.0.0.1/32',
};
const keyPrefix = `webhooks:test-rate:${process.env.TEST_RUN_ID ?? 'local'}:${randomBytes(4).toString('hex')}:`;

let dataSource: DataSource;
let box: SecretBox;
let deliveries: DeliveryRepository;
let temporal: TemporalClientHandle;
let client: Client;
let bundle: WorkflowBundle;
const workers: TestWorker[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  const config = loadConfig({ ...process.env, ...baseEnv });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 10 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  deliveries = createDeliveryRepository(dataSource);
  temporal = await connectTemporalClient(config);
  client = temporal.client;
  bundle = await bundleWorkflows();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await temporal?.close();
  await dataSource?.destroy();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

/** A worker on `config`'s task queue whose requests carry `x-test-worker: <tag>` (outside what is signed). */
async function worker(config: Config, tag: string): Promise<void> {
  workers.push(
    await startTestWorker({
      config,
      dataSource,
      taskQueue: config.temporal.taskQueue,
      bundle,
      rateLimitKeyPrefix: keyPrefix,
      decorate: (deps) => ({
        ...deps,
        http: { post: (request) => deps.http.post({ ...request, headers: { ...request.headers, 'x-test-worker': tag } }) },
      }),
    }),
  );
}

async function subscriptionTo(target: Receiver, rateLimitPerSecond: number | null = null): Promise<WebhookSubscription> {
  const { subscription } = await insertSubscription(dataSource, box, { url: target.url });
  if (rateLimitPerSecond !== null)
    await dataSource.getRepository(WebhookSubscription).update({ id: subscription.id }, { rateLimitPerSecond });
  return subscription;
}

async function startDeliveries(config: Config, subscription: WebhookSubscription, count: number): Promise<WorkflowHandle[]> {
  const events = await Promise.all(Array.from({ length: count }, () => insertEvent(dataSource, { accountId: subscription.accountId })));
  return Promise.all(events.map((event) => startDelivery(client, config, event, subscription)));
}

/** The most requests that arrived within any window of `windowMs` (sliding, from each arrival). */
function mostInAnyWindow(arrivals: readonly number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  return Math.max(0, ...sorted.map((start) => sorted.filter((t) => t >= start && t < start + windowMs).length));
}

async function timersOf(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((event) => event.timerStartedEventAttributes).length;
}

async function attemptLogOf(subscriptionId: string): Promise<Array<{ status: string; attempts: Array<[number, number | null]> }>> {
  const rows: Array<{ id: string; status: string }> = await dataSource.query(
    'SELECT id, status FROM webhook_deliveries WHERE subscription_id = $1',
    [subscriptionId],
  );
  return Promise.all(
    rows.map(async (row) => ({
      status: row.status,
      attempts: (await deliveries.listAttempts(row.id)).map((a): [number, number | null] => [a.attempt, a.statusCode]),
    })),
  );
}

describe('delivery throttling', () => {
  it('keeps a subscription limited to 5/s at 5 in any second across two workers, spending no attempt, while an unlimited one never waits', async () => {
    // One attempt allowed in all: a throttled ask that spent an attempt would end the delivery as FAILURE. The
    // in-flight bound is out of the way here (the next test is about it): only the rate limiter puts attempts off.
    const config = loadConfig({
      ...process.env,
      ...baseEnv,
      WEBHOOKS_RETRY_MAX_ATTEMPTS: '1',
      WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: '1000',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('rate-limit'),
    });
    await worker(config, 'w1');
    await worker(config, 'w2');
    const limitedReceiver = await receiver();
    const unlimitedReceiver = await receiver();
    const limited = await subscriptionTo(limitedReceiver, 5);
    const unlimited = await subscriptionTo(unlimitedReceiver);

    const [limitedHandles, unlimitedHandles] = await Promise.all([
      startDeliveries(config, limited, 30),
      startDeliveries(config, unlimited, 30),
    ]);
    await Promise.all([...limitedHandles, ...unlimitedHandles].map((handle) => handle.result()));

    // The receiver's own arrival times: never more than 5 within a second (a repeated request, delivery being at
    // least once on a loaded machine, counts like any other), and every delivery arrived.
    const arrivals = limitedReceiver.requests;
    expect(new Set(arrivals.map((r) => r.headers['webhook-id'])).size).toBe(30);
    expect(
      mostInAnyWindow(
        arrivals.map((r) => r.receivedAt),
        1_000,
      ),
    ).toBeLessThanOrEqual(5);
    // Both workers sent to the limited subscription: the limit held across them.
    expect(new Set(arrivals.map((r) => r.headers['x-test-worker']))).toEqual(new Set(['w1', 'w2']));

    // Throttled deliveries waited on timers and still made exactly one attempt each: attempt 1, answered 200.
    const limitedLog = await attemptLogOf(limited.id);
    expect(limitedLog).toHaveLength(30);
    expect(limitedLog.every((d) => d.status === 'SUCCESS' && JSON.stringify(d.attempts) === '[[1,200]]')).toBe(true);
    const limitedTimers = await Promise.all(limitedHandles.map(timersOf));
    // 30 deliveries at 5 per window: all but the first window's had to wait.
    expect(limitedTimers.filter((timers) => timers > 0).length).toBeGreaterThanOrEqual(30 - 2 * 5);

    // The unlimited subscription: every delivery in one attempt, none ever waited for a turn.
    expect(new Set(unlimitedReceiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(30);
    const unlimitedLog = await attemptLogOf(unlimited.id);
    expect(unlimitedLog.every((d) => d.status === 'SUCCESS' && JSON.stringify(d.attempts) === '[[1,200]]')).toBe(true);
    expect(await Promise.all(unlimitedHandles.map(timersOf))).toEqual(Array(30).fill(0));
  }, 120_000);

  it("bounds a hanging endpoint to its in-flight share while another endpoint's 200 deliveries complete without waiting", async () => {
    const bound = 4;
    const config = loadConfig({
      ...process.env,
      ...baseEnv,
      WEBHOOKS_REQUEST_TIMEOUT_MS: '5000',
      WEBHOOKS_RETRY_MAX_ATTEMPTS: '5',
      WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: String(bound),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('hanging'),
    });
    await worker(config, 'w');
    const hangingReceiver = await receiver();
    hangingReceiver.setDefault({ hang: true });
    const fastReceiver = await receiver();
    const hanging = await subscriptionTo(hangingReceiver);
    const fast = await subscriptionTo(fastReceiver);

    // The worker has delivered to the fast endpoint before: it knows it answers fast.
    await Promise.all((await startDeliveries(config, fast, 1)).map((handle) => handle.result()));
    fastReceiver.reset();
    // The hanging endpoint's deliveries first: unbounded, they would take most of the worker's 100 slots.
    const hangingHandles = await startDeliveries(config, hanging, 80);
    const fastHandles = await startDeliveries(config, fast, 200);
    await Promise.all(fastHandles.map((handle) => handle.result()));

    // All 200 delivered, each in one attempt, none ever waited for a turn...
    expect(new Set(fastReceiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(200);
    const fastLog = await attemptLogOf(fast.id);
    expect(fastLog.filter((d) => d.status === 'SUCCESS' && JSON.stringify(d.attempts) === '[[1,200]]')).toHaveLength(201);
    expect((await Promise.all(fastHandles.map(timersOf))).filter((timers) => timers > 0)).toEqual([]);
    // ...while the hanging endpoint never had more than the bound open at once, and its deliveries are all still
    // pending, most not even attempted yet: they wait on timers instead of holding worker slots.
    expect(hangingReceiver.maxOpen).toBeLessThanOrEqual(bound);
    expect(hangingReceiver.requests.length).toBeLessThan(80);
    const statuses = await Promise.all(hangingHandles.map(async (handle) => (await handle.describe()).status.name));
    expect(statuses.every((status) => status === 'RUNNING')).toBe(true);
    expect((await Promise.all(hangingHandles.map(timersOf))).filter((timers) => timers > 0).length).toBeGreaterThan(80 - 2 * bound);

    await Promise.all(hangingHandles.map((handle) => handle.terminate('test over')));
  }, 180_000);
});
