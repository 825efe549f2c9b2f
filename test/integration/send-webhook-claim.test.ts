/**
 * One attempt, several executions of it (a workflow task that timed out under load is replayed by another worker,
 * which runs the local first attempt again): sendWebhook sends it once. Temporal's activity context from its
 * testing package with a fixed run id and attempt; real Postgres, real receivers on 127.0.0.1, the real gate.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import type { Config } from '../../src/config';
import type { SecretBox } from '../../src/crypto/secret-box';
import { INTERRUPTED_ATTEMPT_ERROR } from '../../src/deliveries/attempt-log';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { createLogger } from '../../src/logger';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from '../../src/worker/activity-deps';
import type { SendWebhookInput, SendWebhookResult } from '../../workflows/deliver-webhook.types';
import { openActivityWorld } from '../helpers/activity-world';
import { waitFor } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let receiver: Receiver;
let redis: ReturnType<typeof createRateLimiterRedis>;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  ({ config, dataSource, box } = await openActivityWorld());
  receiver = await startReceiver();
  redis = createRateLimiterRedis(config);
  activities = createActivities(buildActivityDeps({ config, dataSource, logger: createLogger('test', config.logLevel), redis }));
});

afterAll(async () => {
  await closeRateLimiterRedis(redis);
  await receiver?.close();
  await dataSource?.destroy();
});

beforeEach(() => receiver.reset());

async function delivery(): Promise<SendWebhookInput> {
  const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url });
  const event = await insertEvent(dataSource, { accountId: subscription.accountId });
  return { eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId, eventType: event.type };
}

/** One execution of the attempt `attempt` of run `runId` (the local first attempt's timeout: 3 s HTTP + 2 s). */
function execute(input: SendWebhookInput, runId: string, attempt = 1): Promise<SendWebhookResult> {
  const environment = new MockActivityEnvironment({
    attempt,
    activityType: 'sendWebhook',
    startToCloseTimeoutMs: 5_000,
    workflowExecution: { workflowId: deliveryWorkflowId(input.eventId, input.subscriptionId), runId },
  });
  return environment.run(activities.sendWebhook, input);
}

async function rowOf(input: SendWebhookInput) {
  const deliveries = createDeliveryRepository(dataSource);
  const row = await deliveries.findByEventAndSubscription(input.eventId, input.subscriptionId);
  if (!row) throw new Error('no delivery row');
  return { row, attempts: await deliveries.listAttempts(row.id) };
}

describe('sendWebhook: one attempt, several executions', () => {
  it('sends once while a second execution runs beside the first; the second waits and then answers the recorded outcome', async () => {
    receiver.setDefault({ status: 200, delayMs: 800 });
    const input = await delivery();
    const runId = randomUUID();

    const first = execute(input, runId);
    await receiver.waitForRequests(1);
    const second = await execute(input, runId);
    expect(second).toMatchObject({ kind: 'throttled', reason: 'attempt_in_flight', activityAttempt: 1 });
    const waitMs = (second as { waitMs: number }).waitMs;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(5_000);

    const sent = await first;
    expect(sent).toMatchObject({ kind: 'sent', statusCode: 200, attempt: 1 });
    // The second execution asks again (after its timer): the attempt is on record, nothing is sent.
    const again = await execute(input, runId);
    expect(again).toEqual(sent);
    expect(receiver.requests).toHaveLength(1);
    const { row, attempts } = await rowOf(input);
    expect(row.status).toBe('SUCCESS');
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 200]]);
  });

  it('answers a replayed attempt that already failed with that failure, retryable, without sending it again', async () => {
    receiver.setDefault({ status: 503 });
    const input = await delivery();
    const runId = randomUUID();
    await expect(execute(input, runId)).rejects.toThrow(/503/);

    const replay = execute(input, runId);
    await expect(replay).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(replay).rejects.toMatchObject({ nonRetryable: false, details: [{ attempt: 1, statusCode: 503 }] });
    expect(receiver.requests).toHaveLength(1);
    // The next attempt of the run is a new key: it is sent, numbered 2.
    receiver.setDefault({ status: 200 });
    expect(await execute(input, runId, 2)).toMatchObject({ kind: 'sent', attempt: 2 });
    expect(receiver.requests).toHaveLength(2);
    expect((await rowOf(input)).attempts.map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('answers a later attempt of a run whose earlier attempt got its 2xx on record without sending; a new run sends', async () => {
    // The first activity attempt's 2xx is recorded after Temporal gave up on it (its timeout passed on a starved
    // worker) and scheduled the next attempt: that one must not POST the event again.
    receiver.setDefault({ status: 200 });
    const input = await delivery();
    const runId = randomUUID();
    const sent = await execute(input, runId, 1);
    expect(sent).toMatchObject({ kind: 'sent', statusCode: 200, attempt: 1 });

    expect(await execute(input, runId, 2)).toEqual(sent);
    expect(receiver.requests).toHaveLength(1);
    const { row, attempts } = await rowOf(input);
    expect(row.status).toBe('SUCCESS');
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 200]]);

    // A new run (a manual re-send, a reset) is a delivery of its own: it is sent.
    expect(await execute(input, randomUUID(), 1)).toMatchObject({ kind: 'sent', statusCode: 200, attempt: 2 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('gives up the claim when the attempt is throttled, so asking again is not held back by it', async () => {
    receiver.setDefault({ status: 200, delayMs: 800 });
    const busy = await delivery();
    const input = { ...busy, eventId: (await insertEvent(dataSource, { accountId: busy.accountId })).id };
    const runId = randomUUID();
    // The subscription's one place in flight (WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT=1) is taken by another delivery.
    const occupying = execute(busy, randomUUID());
    await receiver.waitForRequests(1);
    expect(await execute(input, runId)).toMatchObject({ kind: 'throttled', reason: 'endpoint_busy' });
    expect(await execute(input, runId)).toMatchObject({ kind: 'throttled', reason: 'endpoint_busy' });
    await occupying;
    expect(await execute(input, runId)).toMatchObject({ kind: 'sent', attempt: 1 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('takes over the attempt of an execution that died holding it, once its claim expires (same webhook-id)', async () => {
    const input = await delivery();
    const runId = randomUUID();
    // An execution that took the claim for 300 ms and never came back (its worker was killed).
    const deliveries = createDeliveryRepository(dataSource);
    const workflowId = deliveryWorkflowId(input.eventId, input.subscriptionId);
    const dead = await deliveries.beginAttempt({ ...input, workflowId }, { runId, activityAttempt: 1, token: randomUUID(), forMs: 300 });
    expect(dead.claim).toEqual({ state: 'claimed' });

    expect(await execute(input, runId)).toMatchObject({ kind: 'throttled', reason: 'attempt_in_flight' });
    // The claim expires by Postgres' clock (the one the claim is judged by): wait until the row says so.
    await waitFor(
      async () =>
        (await dataSource.query('SELECT claim_until < now() AS expired FROM webhook_deliveries WHERE id = $1', [dead.deliveryId]))[0]
          ?.expired,
      5_000,
      'the dead claim to expire',
    );
    // The dead execution's attempt stays in the log as interrupted (its request may have gone out); the attempt made
    // again is an entry of its own.
    expect(await execute(input, runId)).toMatchObject({ kind: 'sent', deliveryId: dead.deliveryId, attempt: 2 });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].headers['webhook-id']).toBe(webhookIdFor(dead.deliveryId));
    const { row, attempts } = await rowOf(input);
    expect(row).toMatchObject({ status: 'SUCCESS', attempts: 1 });
    expect(attempts.map((a) => [a.attempt, a.activityAttempt, a.statusCode, a.error])).toEqual([
      [1, 1, null, INTERRUPTED_ATTEMPT_ERROR],
      [2, 1, 200, null],
    ]);
  });
});
