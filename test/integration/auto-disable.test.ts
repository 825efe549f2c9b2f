/**
 * Auto-disable end to end on real parts (API, listener, Temporal, worker, receivers on 127.0.0.1): a subscription that
 * keeps failing past WEBHOOKS_DISABLE_AFTER_HOURS (7.2 s here), or that answers 410, is switched off with its reason;
 * the SUBSCRIPTION_DISABLED event reaches the account's other subscriptions that ask for it, signed like any delivery;
 * the delivery in flight ends FAILURE as SubscriptionInactive; switching it back on resets its health.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver, type RecordedRequest } from '../helpers/receiver';
import { ending } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

/** WEBHOOKS_DISABLE_AFTER_HOURS=0.002: long enough for one delivery's three attempts on a loaded machine. */
const WINDOW_MS = 7_200;

describe('auto-disable', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  /** Answer by path: the paths in `failing` get that status, every other one 200. */
  const failing = new Map<string, number>();
  /** The reasons the activity counted (webhooks_subscriptions_disabled_total in a process). */
  const counted: string[] = [];

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    receiver.setDefault((request) => ({ status: failing.get(request.path) ?? 200 }));
    engine = await startEngine(testConfig('auto-disable', { WEBHOOKS_DISABLE_AFTER_HOURS: '0.002' }), {
      startWorker: (config, dataSource) =>
        startTestWorker({
          config,
          dataSource,
          taskQueue: config.temporal.taskQueue,
          bundle,
          decorate: (deps) => ({ ...deps, countDisabled: (reason) => counted.push(reason) }),
        }),
      // The SUBSCRIPTION_DISABLED event is stored by the worker and dispatched by the listener's sweep.
      listenerOptions: { sweepIntervalMs: 300, dispatcher: { sweepMinAgeMs: 300 } },
    });
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });

  const subscribe = async (key: string, path: string, events: string[]) => {
    const res = await engine.request('POST', '/webhooks/subscriptions', key, { url: `${receiver.origin}${path}`, events });
    expect(res.status).toBe(201);
    return res.body as { id: string; url: string; secret: string };
  };
  const read = async (key: string, id: string) => (await engine.request('GET', `/webhooks/subscriptions/${id}`, key)).body;
  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);
  const finished = (eventId: string, subscriptionId: string) =>
    waitFor(
      async () => {
        const rows = await engine.dataSource.query(
          `SELECT id, status, last_error FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2 AND status <> 'PENDING'`,
          [eventId, subscriptionId],
        );
        return rows[0] as { id: string; status: string; last_error: string | null } | undefined;
      },
      20_000,
      `delivery of ${eventId} finished`,
    );
  const verified = (request: RecordedRequest, secret: string) =>
    new Webhook(secret).verify(request.body.toString('utf8'), {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    }) as { id: string; type: string; accountId: string; data: Record<string, unknown> };

  it('switches a subscription failing past the window off as failing, tells the others signed, and fails the delivery in flight', async () => {
    const { accountId, key } = await engine.newAccount('failing');
    const endpoint = await subscribe(key, '/failing/endpoint', ['NEW_MESSAGE_FROM_VISITOR']);
    const watcher = await subscribe(key, '/failing/watcher', ['SUBSCRIPTION_DISABLED']);
    const everything = await subscribe(key, '/failing/everything', ['*']);
    const unrelated = await subscribe(key, '/failing/unrelated', ['CONVERSATION_CREATED']);
    failing.set('/failing/endpoint', 500);

    // First failing delivery: three attempts, the streak starts; still on.
    const first = newEvent(accountId);
    await engine.publish(first);
    expect((await finished(first.id, endpoint.id)).status).toBe('FAILURE');
    const streak = await read(key, endpoint.id);
    expect(streak).toMatchObject({
      isActive: true,
      consecutiveFailures: 3,
      lastSuccessAt: null,
      failingSince: expect.any(String),
      disabledReason: null,
    });
    const failingSince = Date.parse(streak.failingSince);

    // Past the window, the next failed attempt switches it off; the delivery's next attempt is refused before sending.
    // The window itself is what is under test: the worker judges it by this process's clock, so wait on that clock
    // until the streak is older than the window.
    await waitUntil(() => Date.now() > failingSince + WINDOW_MS, 'the failing window to pass', WINDOW_MS + 5_000);
    const second = newEvent(accountId);
    await engine.publish(second);
    const inFlight = await finished(second.id, endpoint.id);
    expect(inFlight.status).toBe('FAILURE');
    expect(inFlight.last_error).toBe(`subscription ${endpoint.id} is inactive`);
    const closed = await ending(engine.temporal.workflow.getHandle(deliveryWorkflowId(second.id, endpoint.id)));
    expect(closed.status).toBe('FAILED');
    expect(JSON.stringify(closed.status === 'FAILED' ? closed.error.cause : null)).toContain('SubscriptionInactive');
    expect(requestsTo('/failing/endpoint')).toHaveLength(4);

    const off = await read(key, endpoint.id);
    expect(off).toMatchObject({ isActive: false, disabledReason: 'failing', disabledAt: expect.any(String), consecutiveFailures: 4 });
    expect(Date.parse(off.disabledAt) - failingSince).toBeGreaterThan(WINDOW_MS);
    expect(counted.filter((reason) => reason === 'failing')).toHaveLength(1);

    // The watcher and the * subscription get SUBSCRIPTION_DISABLED, signed with their own secrets; nobody else does.
    const toWatcher = await waitFor(() => requestsTo('/failing/watcher')[0], 20_000, 'event at the watcher');
    const announced = verified(toWatcher, watcher.secret);
    expect(announced).toMatchObject({
      type: 'SUBSCRIPTION_DISABLED',
      accountId,
      data: { subscriptionId: endpoint.id, url: endpoint.url, reason: 'failing', disabledAt: off.disabledAt },
    });
    expect(toWatcher.headers['x-webhook-event']).toBe('SUBSCRIPTION_DISABLED');
    const toEverything = await waitFor(
      () => requestsTo('/failing/everything').find((r) => r.json<{ type: string }>().type === 'SUBSCRIPTION_DISABLED'),
      20_000,
      'event at *',
    );
    expect(verified(toEverything, everything.secret).id).toBe(announced.id);
    // The announcement is dispatched (every workflow it needed has started), the two it went to have completed,
    // and none was started for the unrelated subscription: nothing more can arrive.
    await waitFor(
      async () =>
        (await engine.dataSource.query('SELECT dispatched_at FROM webhook_events WHERE id = $1', [announced.id]))[0]?.dispatched_at,
      20_000,
      'the announcement dispatched',
    );
    for (const subscription of [watcher, everything]) {
      const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(announced.id, subscription.id));
      await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 20_000, 'the announcement delivered');
    }
    await expect(engine.temporal.workflow.getHandle(deliveryWorkflowId(announced.id, unrelated.id)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect(requestsTo('/failing/unrelated')).toHaveLength(0);
    expect(requestsTo('/failing/watcher')).toHaveLength(1);
    expect(requestsTo('/failing/endpoint')).toHaveLength(4);
    expect(unrelated.id).toBeDefined();

    // Switched back on: the streak is reset, so one more failure does not switch it off again at once.
    const on = await engine.request('PATCH', `/webhooks/subscriptions/${endpoint.id}`, key, { isActive: true });
    expect(on.body).toMatchObject({ isActive: true, disabledReason: null, disabledAt: null, failingSince: null, consecutiveFailures: 0 });
    failing.set('/failing/endpoint', 503);
    const third = newEvent(accountId);
    await engine.publish(third);
    expect((await finished(third.id, endpoint.id)).status).toBe('FAILURE');
    expect(await read(key, endpoint.id)).toMatchObject({ isActive: true, consecutiveFailures: 3, disabledReason: null });

    // And a success clears the streak.
    failing.delete('/failing/endpoint');
    const fourth = newEvent(accountId);
    await engine.publish(fourth);
    expect((await finished(fourth.id, endpoint.id)).status).toBe('SUCCESS');
    expect(await read(key, endpoint.id)).toMatchObject({
      isActive: true,
      consecutiveFailures: 0,
      failingSince: null,
      lastSuccessAt: expect.any(String),
    });
  }, 150_000);

  it('switches a subscription off as gone at a 410 and tells the others', async () => {
    const { accountId, key } = await engine.newAccount('gone');
    const endpoint = await subscribe(key, '/gone/endpoint', ['CONVERSATION_CREATED']);
    const watcher = await subscribe(key, '/gone/watcher', ['SUBSCRIPTION_DISABLED', 'CONVERSATION_CLOSED']);
    failing.set('/gone/endpoint', 410);

    const event = newEvent(accountId, 'CONVERSATION_CREATED');
    await engine.publish(event);
    expect((await finished(event.id, endpoint.id)).status).toBe('FAILURE');
    expect(requestsTo('/gone/endpoint')).toHaveLength(1);
    const off = await read(key, endpoint.id);
    expect(off).toMatchObject({ isActive: false, disabledReason: 'gone', disabledAt: expect.any(String), consecutiveFailures: 1 });
    expect(counted.filter((reason) => reason === 'gone')).toHaveLength(1);

    const toWatcher = await waitFor(() => requestsTo('/gone/watcher')[0], 20_000, 'event at the watcher');
    expect(verified(toWatcher, watcher.secret)).toMatchObject({
      type: 'SUBSCRIPTION_DISABLED',
      accountId,
      data: { subscriptionId: endpoint.id, url: endpoint.url, reason: 'gone', disabledAt: off.disabledAt },
    });
  });
});
