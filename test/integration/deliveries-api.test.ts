/**
 * The deliveries routes on the real API, with deliveries made end to end (Redis -> listener -> Temporal -> worker
 * -> receiver on 127.0.0.1): list with status filter and cursor pagination, one delivery with its attempt log,
 * retry appending attempts, and account isolation.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('deliveries API', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let owner: { accountId: string; key: string };
  let intruder: { accountId: string; key: string };
  let subscriptionId: string;
  /** Deliveries made in beforeAll: one that succeeded after a 500, one that failed, one plain success. */
  const made: { retried?: string; failed?: string; plain?: string } = {};

  const deliveryIdOf = async (eventId: string) =>
    waitFor(
      async () => {
        const rows = await engine.dataSource.query(
          `SELECT id FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2 AND status <> 'PENDING'`,
          [eventId, subscriptionId],
        );
        return rows[0]?.id as string | undefined;
      },
      20_000,
      `delivery of ${eventId} finished`,
    );

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('deliveries-api'), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    owner = await engine.newAccount('owner');
    intruder = await engine.newAccount('intruder');
    const created = await engine.request('POST', '/webhooks/subscriptions', owner.key, { url: receiver.url, events: ['*'] });
    subscriptionId = created.body.id;

    // 1) 500 then 200: SUCCESS with two attempts.
    receiver.enqueue({ status: 500, body: { error: 'try later' } }, { status: 200, body: 'ok' });
    const retried = newEvent(owner.accountId, 'CONVERSATION_CREATED');
    await engine.publish(retried);
    made.retried = await deliveryIdOf(retried.id);
    // 2) three 503s: FAILURE.
    receiver.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
    const failed = newEvent(owner.accountId);
    await engine.publish(failed);
    made.failed = await deliveryIdOf(failed.id);
    // 3) a plain success.
    const plain = newEvent(owner.accountId);
    await engine.publish(plain);
    made.plain = await deliveryIdOf(plain.id);
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });

  it('lists the deliveries of a subscription, newest first, in the contract shape', async () => {
    const res = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries`, owner.key);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.map((d: { id: string }) => d.id)).toEqual([made.plain, made.failed, made.retried]);
    const retried = res.body.data[2];
    expect(Object.keys(retried).sort()).toEqual(
      [
        'attempts',
        'createdAt',
        'eventId',
        'eventType',
        'id',
        'lastError',
        'lastStatusCode',
        'orderingKey',
        'status',
        'subscriptionId',
        'updatedAt',
        'waitingFor',
        'workflowId',
      ].sort(),
    );
    expect(retried).toMatchObject({
      subscriptionId,
      eventType: 'CONVERSATION_CREATED',
      status: 'SUCCESS',
      attempts: 2,
      lastStatusCode: 200,
      lastError: null,
      workflowId: deliveryWorkflowId(retried.eventId, subscriptionId),
      orderingKey: null,
      waitingFor: null,
    });
    expect(res.body.data[1]).toMatchObject({ status: 'FAILURE', attempts: 3, lastStatusCode: 503 });
  });

  it('filters by status', async () => {
    const failures = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries?status=FAILURE`, owner.key);
    expect(failures.body.data.map((d: { id: string }) => d.id)).toEqual([made.failed]);
    const successes = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries?status=SUCCESS`, owner.key);
    expect(successes.body.data.map((d: { id: string }) => d.id)).toEqual([made.plain, made.retried]);
  });

  it('pages with limit and an opaque cursor until nextCursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries${query}`, owner.key);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((d: { id: string }) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([made.plain, made.failed, made.retried]);
  });

  it('answers 400 validation_failed for a bad status, limit or cursor', async () => {
    for (const query of ['status=DONE', 'limit=0', 'limit=101', 'cursor=not-a-cursor', 'colour=blue']) {
      const res = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries?${query}`, owner.key);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('shows one delivery with its attempt log', async () => {
    const res = await engine.request('GET', `/webhooks/deliveries/${made.retried}`, owner.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: made.retried, status: 'SUCCESS', attempts: 2 });
    expect(res.body.attemptLog).toEqual([
      {
        attempt: 1,
        startedAt: expect.any(String),
        durationMs: expect.any(Number),
        statusCode: 500,
        error: expect.any(String),
        responseBody: '{"error":"try later"}',
      },
      { attempt: 2, startedAt: expect.any(String), durationMs: expect.any(Number), statusCode: 200, error: null, responseBody: 'ok' },
    ]);
    expect(Date.parse(res.body.attemptLog[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.attemptLog[0].startedAt));
  });

  it('retries a failed delivery: 202, the same webhook-id again, attempts appended, then SUCCESS', async () => {
    const before = await engine.request('GET', `/webhooks/deliveries/${made.failed}`, owner.key);
    const previousWebhookId = receiver.requests.find((r) => r.json<{ id: string }>().id === before.body.eventId)?.headers['webhook-id'];
    receiver.reset();

    const res = await engine.request('POST', `/webhooks/deliveries/${made.failed}/retry`, owner.key);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: made.failed, workflowId: before.body.workflowId, status: 'PENDING', runId: expect.any(String) });

    const [request] = await receiver.waitForRequests(1, 20_000);
    expect(request.headers['webhook-id']).toBe(previousWebhookId);
    const after = await waitFor(
      async () => {
        const got = await engine.request('GET', `/webhooks/deliveries/${made.failed}`, owner.key);
        return got.body.status === 'SUCCESS' ? got.body : null;
      },
      15_000,
      'retried delivery SUCCESS',
    );
    expect(after.attempts).toBe(4);
    expect(after.attemptLog.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 200],
    ]);
  });

  it('answers 409 when a retry is asked while the delivery is still running, and starts nothing', async () => {
    receiver.reset();
    receiver.enqueue({ status: 200, delayMs: 2_000 });
    const retry = await engine.request('POST', `/webhooks/deliveries/${made.plain}/retry`, owner.key);
    expect(retry.status).toBe(202);
    await receiver.waitForRequests(1, 10_000);

    const again = await engine.request('POST', `/webhooks/deliveries/${made.plain}/retry`, owner.key);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('delivery_in_progress');

    await waitFor(
      async () => (await engine.request('GET', `/webhooks/deliveries/${made.plain}`, owner.key)).body.status === 'SUCCESS',
      15_000,
      'SUCCESS',
    );
    const { body } = await engine.request('GET', `/webhooks/deliveries/${made.plain}`, owner.key);
    expect(body.attempts).toBe(2);
    expect(receiver.requests).toHaveLength(1);
  });

  it('answers 409 for a retry of a delivery whose subscription is inactive', async () => {
    const other = await engine.request('POST', '/webhooks/subscriptions', owner.key, { url: receiver.url, events: ['VISITOR_IDENTIFIED'] });
    const event = newEvent(owner.accountId, 'VISITOR_IDENTIFIED');
    await engine.publish(event);
    const deliveryId = await waitFor(
      async () => {
        const rows = await engine.dataSource.query(
          `SELECT id FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2 AND status = 'SUCCESS'`,
          [event.id, other.body.id],
        );
        return rows[0]?.id as string | undefined;
      },
      20_000,
      'delivered',
    );
    await engine.request('PATCH', `/webhooks/subscriptions/${other.body.id}`, owner.key, { isActive: false });
    const res = await engine.request('POST', `/webhooks/deliveries/${deliveryId}/retry`, owner.key);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('subscription_inactive');
  });

  it("answers 404 for another account's subscription deliveries, delivery and retry, and changes nothing", async () => {
    const list = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries`, intruder.key);
    expect(list.status).toBe(404);
    expect(list.body.error).toEqual({ code: 'not_found', message: 'subscription not found', details: [] });
    const one = await engine.request('GET', `/webhooks/deliveries/${made.retried}`, intruder.key);
    expect(one.status).toBe(404);
    expect(one.body.error.code).toBe('not_found');
    const before = await engine.request('GET', `/webhooks/deliveries/${made.retried}`, owner.key);
    const retry = await engine.request('POST', `/webhooks/deliveries/${made.retried}/retry`, intruder.key);
    expect(retry.status).toBe(404);
    const after = await engine.request('GET', `/webhooks/deliveries/${made.retried}`, owner.key);
    expect(after.body).toEqual(before.body);
  });

  it('answers 404 for unknown and malformed ids, and 401 without a key', async () => {
    expect((await engine.request('GET', '/webhooks/deliveries/00000000-0000-4000-8000-000000000000', owner.key)).status).toBe(404);
    expect((await engine.request('GET', '/webhooks/deliveries/not-a-uuid', owner.key)).status).toBe(404);
    expect((await engine.request('POST', '/webhooks/deliveries/not-a-uuid/retry', owner.key)).status).toBe(404);
    expect((await engine.request('GET', '/webhooks/subscriptions/not-a-uuid/deliveries', owner.key)).status).toBe(404);
    expect((await engine.request('GET', `/webhooks/deliveries/${made.plain}`, 'whk_bad_key')).status).toBe(401);
  });
});
