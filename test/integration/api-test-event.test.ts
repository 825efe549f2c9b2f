/**
 * POST /webhooks/subscriptions/:id/test on real parts: the WEBHOOK_TEST event (or a catalog sample) reaches that one
 * subscription, whatever its events, signed with its secret, as a stored event with a delivery row and one workflow;
 * bad input, unknown or foreign ids and inactive subscriptions change nothing. Also through the portal API.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { serialiseEnvelope } from '../../src/events/envelope';
import { createEventRepository } from '../../src/events/event.repository';
import { SAMPLE_EVENT_DATA } from '../../src/events/sample-events';
import { webhookIdFor } from '../../src/http/signer';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver, type RecordedRequest } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('POST /webhooks/subscriptions/:id/test', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let owner: { accountId: string; key: string };
  let target: { id: string; url: string; secret: string };
  let bystander: { id: string; url: string };

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('test-event'), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
      listenerOptions: { sweepIntervalMs: 300, dispatcher: { sweepMinAgeMs: 300 } },
    });
    owner = await engine.newAccount('tester');
    target = (
      await engine.request('POST', '/webhooks/subscriptions', owner.key, {
        url: `${receiver.origin}/target`,
        events: ['CONVERSATION_CLOSED'],
      })
    ).body;
    bystander = (await engine.request('POST', '/webhooks/subscriptions', owner.key, { url: `${receiver.origin}/bystander`, events: ['*'] }))
      .body;
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);
  const verify = (request: RecordedRequest) =>
    new Webhook(target.secret).verify(request.body.toString('utf8'), {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
  /** Events and deliveries of the account: what a refused request must not change. */
  const footprint = async () => ({
    events: (await engine.dataSource.query(`SELECT id FROM webhook_events WHERE account_id = $1 ORDER BY id`, [owner.accountId])).map(
      (r: { id: string }) => r.id,
    ),
    deliveries: await engine.dataSource.query(`SELECT id, status, attempts FROM webhook_deliveries WHERE account_id = $1 ORDER BY id`, [
      owner.accountId,
    ]),
  });

  it('sends WEBHOOK_TEST to this subscription only, signed, as a delivery like any other', async () => {
    const res = await engine.request('POST', `/webhooks/subscriptions/${target.id}/test`, owner.key);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: expect.stringMatching(/^test_/), deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const { eventId, deliveryId } = res.body;

    const request = await waitFor(() => requestsTo('/target')[0], 20_000, 'test event at the target');
    expect(verify(request)).toEqual({
      id: eventId,
      type: 'WEBHOOK_TEST',
      accountId: owner.accountId,
      occurredAt: expect.any(String),
      data: { subscriptionId: target.id, message: expect.any(String) },
    });
    expect(request.headers['webhook-id']).toBe(webhookIdFor(deliveryId));
    expect(request.headers['x-webhook-event']).toBe('WEBHOOK_TEST');

    const delivery = await waitFor(
      async () => {
        const got = await engine.request('GET', `/webhooks/deliveries/${deliveryId}`, owner.key);
        return got.body.status === 'SUCCESS' ? got.body : null;
      },
      15_000,
      'SUCCESS',
    );
    expect(delivery).toMatchObject({
      subscriptionId: target.id,
      eventId,
      eventType: 'WEBHOOK_TEST',
      attempts: 1,
      workflowId: deliveryWorkflowId(eventId, target.id),
    });
    // The row is recorded by the attempt's activity, a moment before the workflow itself completes.
    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(eventId, target.id));
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    // The * subscription of the same account never gets it, sweep or not. A marker event stored undispatched after
    // the test event reaches the bystander only through a sweep, and that sweep saw the test event too (older, due
    // first): once the marker's delivery has completed, the bystander has had its chance to get the test event.
    const marker = newEvent(owner.accountId);
    await createEventRepository(engine.dataSource).store(marker, serialiseEnvelope(marker));
    await waitFor(
      async () =>
        (await engine.temporal.workflow.getHandle(deliveryWorkflowId(marker.id, bystander.id)).describe()).status.name === 'COMPLETED',
      20_000,
      'the swept marker delivered to the bystander',
    );
    expect(requestsTo('/bystander').map((r) => (r.json() as { id: string }).id)).toEqual([marker.id]);
    expect(requestsTo('/target')).toHaveLength(1);
  });

  it('sends a sample of a catalog type the subscription does not list', async () => {
    receiver.reset();
    const res = await engine.request('POST', `/webhooks/subscriptions/${target.id}/test`, owner.key, { type: 'NEW_MESSAGE_FROM_VISITOR' });
    expect(res.status).toBe(202);
    const request = await waitFor(() => requestsTo('/target')[0], 20_000, 'sample at the target');
    expect(verify(request)).toMatchObject({
      id: res.body.eventId,
      type: 'NEW_MESSAGE_FROM_VISITOR',
      data: SAMPLE_EVENT_DATA.NEW_MESSAGE_FROM_VISITOR,
    });
  });

  it('answers 400 validation_failed for an unknown type or field, and changes nothing', async () => {
    const before = await footprint();
    for (const body of [{ type: 'NOPE' }, { type: '*' }, { type: 42 }, { kind: 'WEBHOOK_TEST' }]) {
      const res = await engine.request('POST', `/webhooks/subscriptions/${target.id}/test`, owner.key, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    const unknown = await engine.request('POST', `/webhooks/subscriptions/${target.id}/test`, owner.key, { type: 'NOPE' });
    expect(unknown.body.error.details).toEqual([{ field: 'type', message: expect.stringContaining('WEBHOOK_TEST') }]);
    expect(await footprint()).toEqual(before);
  });

  it("answers 404 for unknown, malformed and another account's ids, and 409 for an inactive subscription; nothing changes", async () => {
    const intruder = await engine.newAccount('intruder');
    const off = (
      await engine.request('POST', '/webhooks/subscriptions', owner.key, { url: `${receiver.origin}/off`, events: ['*'], isActive: false })
    ).body;
    const before = await footprint();
    expect((await engine.request('POST', `/webhooks/subscriptions/${target.id}/test`, intruder.key)).status).toBe(404);
    expect((await engine.request('POST', '/webhooks/subscriptions/00000000-0000-4000-8000-000000000000/test', owner.key)).status).toBe(404);
    expect((await engine.request('POST', '/webhooks/subscriptions/not-a-uuid/test', owner.key)).status).toBe(404);
    const inactive = await engine.request('POST', `/webhooks/subscriptions/${off.id}/test`, owner.key);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error.code).toBe('subscription_inactive');
    expect(await footprint()).toEqual(before);
  });

  it('works through the portal API with a portal token, scoped to its account', async () => {
    receiver.reset();
    const session = await engine.request('POST', '/webhooks/portal-sessions', owner.key, {});
    const token = decodeURIComponent(new URL(session.body.url).hash.replace(/^#token=/, ''));
    const res = await engine.request('POST', `/portal/api/subscriptions/${target.id}/test`, token, { type: 'CONVERSATION_RATED' });
    expect(res.status).toBe(202);
    const request = await waitFor(() => requestsTo('/target')[0], 20_000, 'portal test at the target');
    expect(verify(request)).toMatchObject({ type: 'CONVERSATION_RATED' });

    const intruder = await engine.newAccount('portal-intruder');
    const foreignSession = await engine.request('POST', '/webhooks/portal-sessions', intruder.key, {});
    const foreignToken = decodeURIComponent(new URL(foreignSession.body.url).hash.replace(/^#token=/, ''));
    expect((await engine.request('POST', `/portal/api/subscriptions/${target.id}/test`, foreignToken)).status).toBe(404);
  });
});
