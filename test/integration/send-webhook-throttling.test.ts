/**
 * sendWebhook's throttled answers, one activity call at a time (Temporal's activity context from its testing
 * package; real Postgres, real receivers on 127.0.0.1, the real gate and limiter): a throttled call sends and records
 * nothing and reports the Temporal attempt it was; an unlimited subscription never touches the limiter's Redis.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createActivities, type ActivityDeps } from '../../activities';
import { LIMITER_UNAVAILABLE_WAIT_MS } from '../../activities/send-webhook.activity';
import type { Config } from '../../src/config';
import type { SecretBox } from '../../src/crypto/secret-box';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { createLogger } from '../../src/logger';
import { WebhookSubscription } from '../../src/subscriptions/subscription.entity';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from '../../src/worker/activity-deps';
import type { SendWebhookInput, SendWebhookResult } from '../../workflows/deliver-webhook.types';
import { freePort } from '../helpers/free-port';
import { openActivityWorld } from '../helpers/activity-world';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let receiver: Receiver;
let hangingReceiver: Receiver;
const redisClients: Array<ReturnType<typeof createRateLimiterRedis>> = [];

beforeAll(async () => {
  ({ config, dataSource, box } = await openActivityWorld());
  receiver = await startReceiver();
  hangingReceiver = await startReceiver({ defaultResponse: { hang: true } });
});

afterAll(async () => {
  await Promise.all(redisClients.map(closeRateLimiterRedis));
  await receiver?.close();
  await hangingReceiver?.close();
  await dataSource?.destroy();
});

/** The activities wired like a worker's, with the limiter on `redisUrl`. */
function activitiesOn(redisUrl: string): ReturnType<typeof createActivities> {
  const redis = createRateLimiterRedis({ redisUrl, redisTopology: { mode: 'standalone' } });
  redisClients.push(redis);
  const deps: ActivityDeps = buildActivityDeps({
    config,
    dataSource,
    logger: createLogger('test', config.logLevel),
    redis,
    rateLimitKeyPrefix: `webhooks:test-rate:${process.env.TEST_RUN_ID ?? 'local'}:${randomBytes(4).toString('hex')}:`,
  });
  return createActivities(deps);
}

/** A Redis URL nothing listens on: every command to it fails. */
async function unreachableRedisUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

async function delivery(target: Receiver, rateLimitPerSecond: number | null = null): Promise<SendWebhookInput> {
  const { subscription } = await insertSubscription(dataSource, box, { url: target.url });
  if (rateLimitPerSecond !== null)
    await dataSource.getRepository(WebhookSubscription).update({ id: subscription.id }, { rateLimitPerSecond });
  const event = await insertEvent(dataSource, { accountId: subscription.accountId });
  return { eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId, eventType: event.type };
}

function call(activities: ReturnType<typeof createActivities>, input: SendWebhookInput, attempt = 1): Promise<SendWebhookResult> {
  const environment = new MockActivityEnvironment({
    attempt,
    activityType: 'sendWebhook',
    workflowExecution: { workflowId: deliveryWorkflowId(input.eventId, input.subscriptionId), runId: randomUUID() },
  });
  return environment.run(activities.sendWebhook, input);
}

async function attemptsOf(input: SendWebhookInput): Promise<number> {
  const row = await createDeliveryRepository(dataSource).findByEventAndSubscription(input.eventId, input.subscriptionId);
  return row ? (await createDeliveryRepository(dataSource).listAttempts(row.id)).length : 0;
}

describe('sendWebhook throttling', () => {
  it('delivers to an unlimited subscription without asking the limiter (its Redis is unreachable)', async () => {
    const activities = activitiesOn(await unreachableRedisUrl());
    const input = await delivery(receiver);
    const result = await call(activities, input);
    expect(result).toMatchObject({ kind: 'sent', statusCode: 200, attempt: 1 });
  });

  it('puts a limited subscription off when the limiter cannot be asked: nothing sent, nothing recorded', async () => {
    const activities = activitiesOn(await unreachableRedisUrl());
    receiver.reset();
    const input = await delivery(receiver, 5);
    const result = await call(activities, input, 3);
    expect(result).toEqual({ kind: 'throttled', reason: 'rate_limit', waitMs: LIMITER_UNAVAILABLE_WAIT_MS, activityAttempt: 3 });
    expect(receiver.requests).toHaveLength(0);
    expect(await attemptsOf(input)).toBe(0);
  });

  it('puts a limited subscription off once its limit is used, reporting the Temporal attempt it was', async () => {
    const activities = activitiesOn(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    receiver.reset();
    const first = await delivery(receiver, 1);
    const second = { ...first, eventId: (await insertEvent(dataSource, { accountId: first.accountId })).id };
    expect(await call(activities, first)).toMatchObject({ kind: 'sent', attempt: 1 });
    const result = await call(activities, second, 2);
    expect(result).toMatchObject({ kind: 'throttled', reason: 'rate_limit', activityAttempt: 2 });
    expect((result as { waitMs: number }).waitMs).toBeGreaterThan(0);
    expect(receiver.requests).toHaveLength(1);
    expect(await attemptsOf(second)).toBe(0);
  });

  it('puts an attempt off while the worker has the bound of requests in flight to the subscription', async () => {
    const activities = activitiesOn(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const hangingOne = await delivery(hangingReceiver);
    const second = { ...hangingOne, eventId: (await insertEvent(dataSource, { accountId: hangingOne.accountId })).id };
    const hanging = call(activities, hangingOne);
    await hangingReceiver.waitForRequests(1);
    const result = await call(activities, second);
    expect(result).toMatchObject({ kind: 'throttled', reason: 'endpoint_busy', activityAttempt: 1 });
    expect(hangingReceiver.requests).toHaveLength(1);
    expect(await attemptsOf(second)).toBe(0);
    // The hanging request times out: an attempt made and recorded, retryable.
    await expect(hanging).rejects.toThrow(/timed out|timeout/i);
    expect(await attemptsOf(hangingOne)).toBe(1);
  });
});
