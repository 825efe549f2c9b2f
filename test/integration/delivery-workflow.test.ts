/**
 * The delivery workflow end to end on real parts: Temporal dev server, Postgres, an in-process worker wired like
 * production, and a real HTTP receiver on 127.0.0.1 (allow-listed by SSRF_ALLOW_CIDRS, as a self-hosted receiver).
 */
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository, type DeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { WebhookSubscription } from '../../src/subscriptions/subscription.entity';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { ending, eventually, resetToFirstWorkflowTask, startDelivery, uniqueTaskQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/engine';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

const testEnv = {
  WEBHOOKS_REQUEST_TIMEOUT_MS: '1000',
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_BACKOFF: '1',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_MAX_ATTEMPTS: '3',
  SSRF_ALLOW_CIDRS: '127.0.0.1/32',
};

let config: Config;
let guardedConfig: Config;
let dataSource: DataSource;
let box: SecretBox;
let deliveries: DeliveryRepository;
let temporal: TemporalClientHandle;
let client: Client;
let bundle: WorkflowBundle;
let worker: TestWorker;
let guardedWorker: TestWorker;
let receiver: Receiver;

beforeAll(async () => {
  config = loadConfig({ ...process.env, ...testEnv, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('delivery') });
  // Same engine, no allow-list: the receiver's loopback address is forbidden, as for any real subscription.
  guardedConfig = loadConfig({ ...process.env, ...testEnv, SSRF_ALLOW_CIDRS: '', TEMPORAL_TASK_QUEUE: uniqueTaskQueue('ssrf') });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 5 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  deliveries = createDeliveryRepository(dataSource);
  temporal = await connectTemporalClient(config);
  client = temporal.client;
  bundle = await bundleWorkflows();
  worker = await startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle });
  guardedWorker = await startTestWorker({ config: guardedConfig, dataSource, taskQueue: guardedConfig.temporal.taskQueue, bundle });
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await Promise.all([worker?.stop(), guardedWorker?.stop()]);
  await temporal?.close();
  await dataSource?.destroy();
});

beforeEach(() => receiver.reset());

async function fixture(options: { liveSecrets?: number; isActive?: boolean } = {}) {
  const { subscription, secrets } = await insertSubscription(dataSource, box, { url: receiver.url, ...options });
  const event = await insertEvent(dataSource, { accountId: subscription.accountId });
  return { subscription, secrets, event };
}

async function deliveryOf(eventId: string, subscriptionId: string) {
  const delivery = await deliveries.findByEventAndSubscription(eventId, subscriptionId);
  if (!delivery) throw new Error('no delivery row');
  return { delivery, attempts: await deliveries.listAttempts(delivery.id) };
}

/** A protobuf Duration in milliseconds. */
function msOf(duration: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(duration?.seconds ?? 0) * 1000 + Math.round((duration?.nanos ?? 0) / 1e6);
}

/** The durations of the timers the workflow started, from its history (what it waited, as it asked Temporal to). */
function timerDelaysMs(history: { events?: Array<{ timerStartedEventAttributes?: { startToFireTimeout?: unknown } | null }> | null }) {
  return (history.events ?? []).flatMap((e) =>
    e.timerStartedEventAttributes ? [msOf(e.timerStartedEventAttributes.startToFireTimeout as Parameters<typeof msOf>[0])] : [],
  );
}

/** The delivery's state as the Temporal UI shows it: the workflow's ExecutionStatus. */
async function executionStatus(workflowId: string): Promise<string> {
  return (await client.workflow.getHandle(workflowId).describe()).status.name;
}

describe('deliverWebhookWorkflow', () => {
  it('delivers the stored bytes signed for both verifiers and records SUCCESS with the attempt', async () => {
    const { subscription, secrets, event } = await fixture();
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');

    const [request] = await receiver.waitForRequests(1);
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(request!.method).toBe('POST');
    expect(request!.body.equals(Buffer.from(event.body, 'utf8'))).toBe(true);
    const hub = createHmac('sha256', secrets[0]!).update(request!.body).digest('hex');
    expect(request!.headers['x-hub-signature-256']).toBe(`sha256=${hub}`);
    expect(() => new Webhook(secrets[0]!).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
    expect(request!.headers['webhook-id']).toBe(webhookIdFor(delivery.id));
    expect(request!.headers['x-webhook-delivery']).toBe(webhookIdFor(delivery.id));
    expect(request!.headers['x-webhook-event']).toBe('NEW_MESSAGE_FROM_VISITOR');
    expect(request!.headers['user-agent']).toMatch(/^webhooks-engine\/\d+\.\d+\.\d+/);

    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: 1, lastStatusCode: 200, lastError: null, workflowId: handle.workflowId });
    expect(attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null, activityAttempt: 1 })]);
    expect(await executionStatus(handle.workflowId)).toBe('COMPLETED');
  });

  it('makes the first attempt as a local activity: one workflow task, a marker, no scheduled activity', async () => {
    const { subscription, event } = await fixture();
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(0);
  });

  it('retries after a 500 and ends SUCCESS with both attempts on record and one webhook-id', async () => {
    const { subscription, event } = await fixture();
    receiver.enqueue({ status: 500, body: 'boom' }, { status: 200 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');

    const requests = await receiver.waitForRequests(2);
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookIdFor(delivery.id)]));
    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: 2, lastStatusCode: 200 });
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.error, a.responseBody])).toEqual([
      [1, 500, 'HTTP 500', 'boom'],
      [2, 200, null, ''],
    ]);
  });

  it("keeps one webhook-id and gap-free attempt numbers across the local attempt and the regular activity's attempts", async () => {
    const { subscription, event } = await fixture();
    receiver.enqueue({ status: 500 }, { status: 503 }, { status: 502 }, { status: 200 });
    const handle = await startDelivery(
      client,
      loadConfig({ ...process.env, ...testEnv, WEBHOOKS_RETRY_MAX_ATTEMPTS: '5', TEMPORAL_TASK_QUEUE: config.temporal.taskQueue }),
      event,
      subscription,
    );
    expect((await ending(handle)).status).toBe('COMPLETED');

    const requests = await receiver.waitForRequests(4);
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookIdFor(delivery.id)]));
    // Attempt 1 is the local activity; 2-4 are the regular activity's attempts 1-3, keyed after it.
    expect(attempts.map((a) => [a.attempt, a.activityAttempt, a.statusCode])).toEqual([
      [1, 1, 500],
      [2, 2, 503],
      [3, 3, 502],
      [4, 4, 200],
    ]);
    expect(new Set(attempts.map((a) => a.runId)).size).toBe(1);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(1);
    expect(
      events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
    ).toEqual(['sendWebhook']);
    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: 4 });
  });

  it('shows a retrying delivery as a pending regular activity with its attempt count and last failure', async () => {
    const { subscription, event } = await fixture();
    receiver.setDefault({ status: 500, body: 'still down' });
    const slow = loadConfig({
      ...process.env,
      ...testEnv,
      WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '1000',
      WEBHOOKS_RETRY_MAX_INTERVAL_MS: '1000',
      WEBHOOKS_RETRY_MAX_ATTEMPTS: '10',
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    });
    const handle = await startDelivery(client, slow, event, subscription);
    const pending = await eventually(
      async () => (await handle.describe()).raw.pendingActivities ?? [],
      (activities) => activities.length === 1 && (activities[0]!.attempt ?? 0) >= 2,
    );
    expect(pending[0]!.activityType?.name).toBe('sendWebhook');
    expect(pending[0]!.lastFailure?.message).toBe('HTTP 500');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    receiver.setDefault({ status: 200 });
    expect((await ending(handle)).status).toBe('COMPLETED');
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, index) => index + 1));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.at(-1)).toMatchObject({ statusCode: 200 });
    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: attempts.length });
  });

  it('stays PENDING while retrying, then records FAILURE and fails the workflow when retries are exhausted', async () => {
    const { subscription, event } = await fixture();
    const seenWhileRetrying: Array<{ status: string; attempts: number }> = [];
    receiver.setDefault(async (request) => {
      if (request.index === 1) {
        const { delivery } = await deliveryOf(event.id, subscription.id);
        seenWhileRetrying.push({ status: delivery.status, attempts: delivery.attempts });
      }
      return { status: 500 };
    });
    const handle = await startDelivery(client, config, event, subscription);
    const end = await ending(handle);

    expect(end.status).toBe('FAILED');
    expect(seenWhileRetrying).toEqual([{ status: 'PENDING', attempts: 1 }]);
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(await executionStatus(handle.workflowId)).toBe('FAILED');
  });

  it('fails an attempt with a timeout error when the receiver hangs past the request timeout', async () => {
    const { subscription, event } = await fixture();
    receiver.enqueue({ hang: true }, { status: 204 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');

    // The first request was never answered: only the client's request timeout can have ended that attempt.
    const { attempts } = await deliveryOf(event.id, subscription.id);
    expect(attempts[0]).toMatchObject({
      attempt: 1,
      statusCode: null,
      durationMs: expect.any(Number),
      error: expect.stringContaining('timeout'),
    });
    expect(attempts[1]).toMatchObject({ attempt: 2, statusCode: 204 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('stops at a 410 without retrying and switches the subscription off as gone', async () => {
    const { subscription, event } = await fixture();
    receiver.setDefault({ status: 410 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('FAILED');

    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(receiver.requests).toHaveLength(1);
    expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 1, lastStatusCode: 410 });
    expect(attempts).toHaveLength(1);
    const stored = await dataSource.getRepository(WebhookSubscription).findOneByOrFail({ id: subscription.id });
    expect(stored).toMatchObject({ isActive: false, disabledReason: 'gone', disabledAt: attempts[0]!.startedAt, consecutiveFailures: 1 });
  });

  it('waits for a 429 Retry-After before the next attempt instead of the shorter policy interval', async () => {
    const { subscription, event } = await fixture();
    receiver.enqueue({ status: 500 }, { status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    const handle = await startDelivery(client, config, event, subscription);
    // While the regular activity waits after the 429, Temporal holds its failure with the Retry-After as the next
    // retry delay, in place of the policy's interval (100 ms).
    const waiting = await waitFor(
      async () =>
        ((await handle.describe()).raw.pendingActivities ?? []).find((a) => a.lastFailure?.applicationFailureInfo?.nextRetryDelay),
      15_000,
      'the activity waiting after the 429',
    );
    expect(msOf(waiting.lastFailure!.applicationFailureInfo!.nextRetryDelay)).toBe(1_000);
    expect(waiting.attempt).toBe(2);
    expect((await ending(handle)).status).toBe('COMPLETED');

    await receiver.waitForRequests(3);
    // The wait after the failed local attempt (the 500) was the policy's interval: the workflow's one timer.
    expect(timerDelaysMs(await handle.fetchHistory())).toEqual([100]);
    const { delivery } = await deliveryOf(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: 3 });
  });

  it("waits for a Retry-After on the local first attempt before the regular activity's first attempt", async () => {
    const { subscription, event } = await fixture();
    receiver.enqueue({ status: 503, headers: { 'retry-after': '1' } }, { status: 200 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');

    await receiver.waitForRequests(2);
    // The workflow waited on a timer of the Retry-After, not of the policy's interval (100 ms).
    expect(timerDelaysMs(await handle.fetchHistory())).toEqual([1_000]);
    const { attempts } = await deliveryOf(event.id, subscription.id);
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 503],
      [2, 200],
    ]);
  });

  it('during a secret rotation signs with both live secrets and each verifies', async () => {
    const { subscription, secrets, event } = await fixture({ liveSecrets: 2 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('COMPLETED');

    const [request] = await receiver.waitForRequests(1);
    const headers = request!.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of secrets) expect(() => new Webhook(secret).verify(request!.body, headers)).not.toThrow();
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', secrets[0]!).update(request!.body).digest('hex')}`);
  });

  it('refuses a non-allow-listed loopback target through the SSRF guard, non-retryably, and records why', async () => {
    const { subscription, event } = await fixture();
    const handle = await startDelivery(client, guardedConfig, event, subscription);
    const end = await ending(handle);

    expect(end.status).toBe('FAILED');
    expect(receiver.requests).toHaveLength(0);
    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 1, lastStatusCode: null });
    expect(attempts).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: expect.stringContaining('target_not_allowed') }),
    ]);
  });

  it('stops non-retryably without sending when the subscription is inactive', async () => {
    const { subscription, event } = await fixture({ isActive: false });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('FAILED');

    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(receiver.requests).toHaveLength(0);
    expect(attempts).toHaveLength(0);
    expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 0, lastError: expect.stringContaining('inactive') });
  });

  it('stops non-retryably without sending when the subscription was deleted', async () => {
    const { subscription, event } = await fixture();
    await dataSource.getRepository(WebhookSubscription).delete({ id: subscription.id });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('FAILED');

    const { delivery } = await deliveryOf(event.id, subscription.id);
    expect(receiver.requests).toHaveLength(0);
    expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 0, lastError: expect.stringContaining('deleted') });
  });

  it('re-delivers when a Failed workflow is reset, appending attempts under the same webhook-id', async () => {
    const { subscription, event } = await fixture();
    receiver.setDefault({ status: 500 });
    const handle = await startDelivery(client, config, event, subscription);
    expect((await ending(handle)).status).toBe('FAILED');
    expect((await deliveryOf(event.id, subscription.id)).delivery.status).toBe('FAILURE');

    receiver.setDefault({ status: 200 });
    const newRunId = await resetToFirstWorkflowTask(client, handle.workflowId, 'receiver fixed');
    const reset = client.workflow.getHandle(handle.workflowId, newRunId);
    expect((await ending(reset)).status).toBe('COMPLETED');

    const { delivery, attempts } = await deliveryOf(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'SUCCESS', attempts: 4, lastStatusCode: 200 });
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 200],
    ]);
    expect(new Set(attempts.slice(3).map((a) => a.runId))).toEqual(new Set([newRunId]));
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookIdFor(delivery.id)]));
    expect(
      await eventually(
        () => executionStatus(handle.workflowId),
        (s) => s === 'COMPLETED',
      ),
    ).toBe('COMPLETED');
  });
});
