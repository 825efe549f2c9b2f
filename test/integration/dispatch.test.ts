/**
 * Redis -> listener -> dispatcher -> Temporal, without a worker: the workflows that get started stay open on the
 * task queue, so their ids, task queue, input and search attributes can be inspected with describe().
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { deliveryWorkflowId, SearchAttributes, WORKFLOW_TYPE } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, workflowIdsForAccount, type Engine } from '../helpers/engine';

describe('dispatch of published events to Temporal', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await startEngine(testConfig('dispatch'));
  });
  afterAll(async () => {
    await engine?.close();
  });

  const createSubscription = async (key: string, body: Record<string, unknown>) => {
    const res = await engine.request('POST', '/webhooks/subscriptions', key, body);
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };

  const dispatchedAt = async (eventId: string): Promise<Date | null> => {
    const rows = await engine.dataSource.query('SELECT dispatched_at FROM webhook_events WHERE id = $1', [eventId]);
    return rows[0]?.dispatched_at ?? null;
  };

  const expectNoWorkflow = async (workflowId: string) => {
    await expect(engine.temporal.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  };

  it('starts one workflow per matching active subscription with the contract id, task queue and search attributes', async () => {
    const { accountId, key } = await engine.newAccount('dispatch');
    const exact = await createSubscription(key, { url: 'http://127.0.0.1:9/exact', events: ['NEW_MESSAGE_FROM_VISITOR'] });
    const wildcard = await createSubscription(key, { url: 'http://127.0.0.1:9/all', events: ['*'] });
    const other = await createSubscription(key, { url: 'http://127.0.0.1:9/other', events: ['CONVERSATION_CREATED'] });
    const event = newEvent(accountId);

    await engine.publish(event);
    await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched');

    for (const subscription of [exact, wildcard]) {
      const description = await engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id)).describe();
      expect(description.workflowId).toBe(`delivery:${event.id}:${subscription.id}`);
      expect(description.type).toBe(WORKFLOW_TYPE);
      expect(description.taskQueue).toBe(engine.config.temporal.taskQueue);
      expect(description.status.name).toBe('RUNNING');
      const attributes = description.typedSearchAttributes;
      expect(attributes.get(SearchAttributes.subscriptionId)).toBe(subscription.id);
      expect(attributes.get(SearchAttributes.accountId)).toBe(accountId);
      expect(attributes.get(SearchAttributes.eventType)).toBe('NEW_MESSAGE_FROM_VISITOR');
      expect(attributes.get(SearchAttributes.targetHost)).toBe('127.0.0.1:9');
      expect(attributes.getAll().map((pair) => pair.key.name)).not.toContain('WebhookDeliveryStatus');
    }
    await expectNoWorkflow(deliveryWorkflowId(event.id, other.id));
    await waitFor(async () => (await workflowIdsForAccount(engine.temporal, accountId)).length === 2, 10_000, 'visibility');
    expect(await workflowIdsForAccount(engine.temporal, accountId)).toEqual(
      [deliveryWorkflowId(event.id, exact.id), deliveryWorkflowId(event.id, wildcard.id)].sort(),
    );
  });

  it('stores the validated envelope once as the exact body bytes to send', async () => {
    const { accountId } = await engine.newAccount('body');
    const event = newEvent(accountId, 'CONVERSATION_CREATED', { conversationId: 'c-1', tags: ['a', 'é'] });
    await engine.publish({ data: event.data, extra: 'dropped', occurredAt: event.occurredAt, accountId, type: event.type, id: event.id });
    await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched');
    const [row] = await engine.dataSource.query('SELECT body, account_id, type FROM webhook_events WHERE id = $1', [event.id]);
    expect(row).toEqual({ body: JSON.stringify(event), account_id: accountId, type: 'CONVERSATION_CREATED' });
  });

  it('starts nothing for an inactive subscription', async () => {
    const { accountId, key } = await engine.newAccount('inactive');
    const inactive = await createSubscription(key, { url: 'http://127.0.0.1:9/off', events: ['*'], isActive: false });
    const event = newEvent(accountId);
    await engine.publish(event);
    await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched');
    await expectNoWorkflow(deliveryWorkflowId(event.id, inactive.id));
    expect(await workflowIdsForAccount(engine.temporal, accountId)).toEqual([]);
  });

  it('starts nothing for an event whose account has no subscriptions, and marks it dispatched', async () => {
    const owner = await engine.newAccount('owner');
    const mine = await createSubscription(owner.key, { url: 'http://127.0.0.1:9/mine', events: ['*'] });
    const event = newEvent('account-without-subscriptions-' + process.env.TEST_RUN_ID);
    await engine.publish(event);
    expect(await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched')).toBeInstanceOf(Date);
    await expectNoWorkflow(deliveryWorkflowId(event.id, mine.id));
    expect(engine.logs.lines().some((l) => l.eventId === event.id && l.msg === 'event matched no active subscription')).toBe(true);
  });

  it('starts nothing new when the same event is published again', async () => {
    const { accountId, key } = await engine.newAccount('dup');
    const subscription = await createSubscription(key, { url: 'http://127.0.0.1:9/dup', events: ['*'] });
    const event = newEvent(accountId);
    await engine.publish(event);
    const firstDispatch = await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched');
    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id));
    const first = await handle.describe();

    await engine.publish(event);
    await engine.publish({ ...event, data: { text: 'a different body under the same id' } });
    await engine.logs.waitFor((l) => l.eventId === event.id && String(l.msg).startsWith('event already received'));

    const after = await handle.describe();
    expect(after.runId).toBe(first.runId);
    expect(await dispatchedAt(event.id)).toEqual(firstDispatch);
    const [row] = await engine.dataSource.query('SELECT body FROM webhook_events WHERE id = $1', [event.id]);
    expect(JSON.parse(row.body).data).toEqual(event.data);
  });

  it('counts an existing workflow as done when an undispatched event is dispatched again', async () => {
    const { accountId, key } = await engine.newAccount('redispatch');
    const subscription = await createSubscription(key, { url: 'http://127.0.0.1:9/r', events: ['*'] });
    const event = newEvent(accountId);
    await engine.publish(event);
    await waitFor(() => dispatchedAt(event.id), 15_000, 'event dispatched');
    const { runId } = await engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id)).describe();

    // As if the process had died between starting the workflow and recording it: the sweep dispatches it again.
    await engine.dataSource.query(`UPDATE webhook_events SET dispatched_at = NULL, received_at = now() - interval '1 hour' WHERE id = $1`, [
      event.id,
    ]);
    await engine.listener!.dispatcher.sweep();
    expect(await dispatchedAt(event.id)).toBeInstanceOf(Date);
    expect((await engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id)).describe()).runId).toBe(runId);
  });
});
