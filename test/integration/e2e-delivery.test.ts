/**
 * The acceptance path end to end on real parts: a subscription created through the REST API, an event published
 * on Redis, the listener starting a workflow on the task queue, the worker POSTing to a real receiver on
 * 127.0.0.1, and the delivery row recording the outcome.
 */
import { createHmac } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { deliveryWorkflowId, SearchAttributes } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('end to end: Redis event to signed delivery', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('e2e'), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  const subscribe = async (key: string, body: Record<string, unknown> = {}) => {
    const res = await engine.request('POST', '/webhooks/subscriptions', key, {
      url: `${receiver.origin}/hooks/${Math.random().toString(36).slice(2)}`,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; url: string; secret: string; isActive: boolean };
  };

  const deliveryRow = async (eventId: string, subscriptionId: string) =>
    (
      await engine.dataSource.query(
        'SELECT id, status, attempts, last_status_code, last_error FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2',
        [eventId, subscriptionId],
      )
    )[0] as { id: string; status: string; attempts: number; last_status_code: number | null; last_error: string | null } | undefined;

  const requestsTo = (url: string) => receiver.requests.filter((r) => `${receiver.origin}${r.path}` === url);

  const dispatched = (eventId: string) =>
    waitFor(
      async () => (await engine.dataSource.query('SELECT dispatched_at FROM webhook_events WHERE id = $1', [eventId]))[0]?.dispatched_at,
      15_000,
      'dispatch',
    );

  it('creates a subscription through the API and returns its whsec_ secret once (201)', async () => {
    const { key } = await engine.newAccount('create');
    const created = await subscribe(key, { description: 'visitor messages' });
    expect(created).toMatchObject({ isActive: true, events: ['NEW_MESSAGE_FROM_VISITOR'], description: 'visitor messages' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const read = await engine.request('GET', `/webhooks/subscriptions/${created.id}`, key);
    expect(read.body.secret).toBeUndefined();
  });

  it('starts a workflow on the task queue for a published NEW_MESSAGE_FROM_VISITOR and delivers a POST that verifies with the secret', async () => {
    const { accountId, key } = await engine.newAccount('deliver');
    const subscription = await subscribe(key);
    const event = newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', { conversationId: 'c-42', text: 'Bonjour, ça va ?' });

    await engine.publish(event);
    const [request] = await receiver.waitForRequests(1, 20_000);

    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id));
    const description = await handle.describe();
    expect(description.taskQueue).toBe(engine.config.temporal.taskQueue);

    expect(request.method).toBe('POST');
    expect(`${receiver.origin}${request.path}`).toBe(subscription.url);
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(request.json()).toEqual(event);
    const [{ body: storedBody }] = await engine.dataSource.query('SELECT body FROM webhook_events WHERE id = $1', [event.id]);
    expect(request.text()).toBe(storedBody);

    const expectedHub = `sha256=${createHmac('sha256', subscription.secret).update(request.body).digest('hex')}`;
    expect(request.headers['x-hub-signature-256']).toBe(expectedHub);
    expect(request.headers['x-webhook-event']).toBe('NEW_MESSAGE_FROM_VISITOR');
    expect(request.headers['x-webhook-delivery']).toBe(request.headers['webhook-id']);
    const verified = new Webhook(subscription.secret).verify(request.body.toString('utf8'), {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(verified).toEqual(event);

    await waitFor(async () => (await deliveryRow(event.id, subscription.id))?.status === 'SUCCESS', 15_000, 'SUCCESS');
    expect(await deliveryRow(event.id, subscription.id)).toMatchObject({ status: 'SUCCESS', attempts: 1, last_status_code: 200 });
    await handle.result();
    const closed = await handle.describe();
    expect(closed.status.name).toBe('COMPLETED');
    expect(closed.typedSearchAttributes.get(SearchAttributes.subscriptionId)).toBe(subscription.id);
  });

  it('starts nothing and sends nothing for a subscription with isActive false', async () => {
    const { accountId, key } = await engine.newAccount('inactive');
    const subscription = await subscribe(key, { isActive: false });
    const event = newEvent(accountId);
    await engine.publish(event);
    await dispatched(event.id);
    // The event is marked dispatched once every workflow it needed has started, and none was started for this
    // subscription: nothing is left that could send to it.
    await expect(engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect(requestsTo(subscription.url)).toHaveLength(0);
    expect(await deliveryRow(event.id, subscription.id)).toBeUndefined();
  });

  it('starts nothing for an event of an account with no subscriptions', async () => {
    const event = newEvent(`nobody-${process.env.TEST_RUN_ID}`);
    await engine.publish(event);
    await dispatched(event.id);
    const [{ n }] = await engine.dataSource.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1', [event.id]);
    expect(n).toBe(0);
    expect(engine.logs.lines().some((l) => l.eventId === event.id && l.msg === 'event matched no active subscription')).toBe(true);
  });

  it('keeps the delivery PENDING while attempts grow against a receiver answering 500, then records FAILURE', async () => {
    const { accountId, key } = await engine.newAccount('failing');
    const subscription = await subscribe(key);
    const event = newEvent(accountId);
    // At each request, the row as the receiver saw it: the attempts recorded so far and the status.
    const seen: Array<{ status: string; attempts: number } | undefined> = [];
    receiver.setDefault(async (r) => {
      if (`${receiver.origin}${r.path}` !== subscription.url) return { status: 200 };
      const row = await deliveryRow(event.id, subscription.id);
      seen.push(row && { status: row.status, attempts: row.attempts });
      return { status: 500, body: 'boom' };
    });
    await engine.publish(event);

    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id));
    await waitFor(() => handle.describe(), 15_000, 'workflow started');
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^delivery failed/) } });
    expect(seen).toEqual([
      { status: 'PENDING', attempts: 0 },
      { status: 'PENDING', attempts: 1 },
      { status: 'PENDING', attempts: 2 },
    ]);
    const final = await deliveryRow(event.id, subscription.id);
    expect(final).toMatchObject({ status: 'FAILURE', attempts: 3, last_status_code: 500 });
    expect(requestsTo(subscription.url)).toHaveLength(3);
    const closed = await handle.describe();
    expect(closed.status.name).toBe('FAILED');
    expect(closed.typedSearchAttributes.get(SearchAttributes.subscriptionId)).toBe(subscription.id);
  });

  it('fails an attempt with a timeout error when the receiver hangs past 5 s, and succeeds on the next attempt', async () => {
    expect(engine.config.delivery.requestTimeoutMs).toBe(5_000);
    const { accountId, key } = await engine.newAccount('hang');
    const subscription = await subscribe(key);
    receiver.enqueue({ hang: true }, { status: 204 });
    const event = newEvent(accountId);
    await engine.publish(event);

    await waitFor(async () => (await deliveryRow(event.id, subscription.id))?.status === 'SUCCESS', 30_000, 'SUCCESS after a timeout');
    const deliveries = await engine.request('GET', `/webhooks/subscriptions/${subscription.id}/deliveries`, key);
    const detail = await engine.request('GET', `/webhooks/deliveries/${deliveries.body.data[0].id}`, key);
    const [timedOut, succeeded] = detail.body.attemptLog;
    expect(timedOut).toMatchObject({
      attempt: 1,
      statusCode: null,
      durationMs: expect.any(Number),
      error: expect.stringMatching(/timeout|timed out/i),
    });
    expect(succeeded).toMatchObject({ attempt: 2, statusCode: 204, error: null });
    // The hung request was never answered: the client gave up on it, then sent the second attempt.
    const [first, second] = requestsTo(subscription.url);
    expect(requestsTo(subscription.url)).toHaveLength(2);
    expect(second.index).toBeGreaterThan(first.index);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  });

  it('stops at a 410, records FAILURE and deactivates the subscription as the API shows', async () => {
    const { accountId, key } = await engine.newAccount('gone');
    const subscription = await subscribe(key);
    receiver.setDefault((r) => (`${receiver.origin}${r.path}` === subscription.url ? { status: 410 } : { status: 200 }));
    const event = newEvent(accountId);
    await engine.publish(event);
    await waitFor(async () => (await deliveryRow(event.id, subscription.id))?.status === 'FAILURE', 20_000, 'FAILURE');
    expect(requestsTo(subscription.url)).toHaveLength(1);
    const read = await engine.request('GET', `/webhooks/subscriptions/${subscription.id}`, key);
    expect(read.body.isActive).toBe(false);

    const next = newEvent(accountId);
    await engine.publish(next);
    await dispatched(next.id);
    expect(await deliveryRow(next.id, subscription.id)).toBeUndefined();
  });

  it('signs with both secrets during a rotation done through the API, and each verifies', async () => {
    const { accountId, key } = await engine.newAccount('rotate');
    const subscription = await subscribe(key);
    const rotated = await engine.request('POST', `/webhooks/subscriptions/${subscription.id}/secret/rotate`, key, { graceSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const event = newEvent(accountId);
    await engine.publish(event);
    await waitFor(() => requestsTo(subscription.url).length === 1, 20_000, 'delivery');
    const [request] = requestsTo(subscription.url);

    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [subscription.secret, rotated.body.secret]) {
      expect(new Webhook(secret).verify(request.body.toString('utf8'), headers)).toEqual(event);
    }
    expect(request.headers['x-hub-signature-256']).toBe(
      `sha256=${createHmac('sha256', rotated.body.secret).update(request.body).digest('hex')}`,
    );
  });

  it('delivers once when the same event is published twice', async () => {
    const { accountId, key } = await engine.newAccount('twice');
    const subscription = await subscribe(key);
    const event = newEvent(accountId);
    await engine.publish(event);
    await receiver.waitForRequests(1, 20_000);
    await waitFor(async () => (await deliveryRow(event.id, subscription.id))?.status === 'SUCCESS', 15_000, 'SUCCESS');

    await engine.publish(event);
    // The listener has finished with the re-publish (it logs that it ignored it, having started nothing).
    await engine.logs.waitFor((l) => l.eventId === event.id && String(l.msg).startsWith('event already received'));
    expect(requestsTo(subscription.url)).toHaveLength(1);
    expect(await deliveryRow(event.id, subscription.id)).toMatchObject({ status: 'SUCCESS', attempts: 1 });
  });

  it('stores a malformed message in rejected_messages and goes on delivering the next event', async () => {
    const { accountId, key } = await engine.newAccount('malformed');
    const subscription = await subscribe(key);
    await engine.publish('{"id": "half a message"');
    const event = newEvent(accountId);
    await engine.publish(event);

    await receiver.waitForRequests(1, 20_000);
    expect(requestsTo(subscription.url)[0].json()).toEqual(event);
    const rejected = await engine.dataSource.query('SELECT raw, reason FROM rejected_messages WHERE channel = $1', [
      engine.config.redisChannel,
    ]);
    expect(rejected).toEqual([{ raw: '{"id": "half a message"', reason: expect.stringMatching(/^not valid JSON/) }]);
  });
});
