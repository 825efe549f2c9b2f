/**
 * POST /webhooks/subscriptions/:id/test: a WEBHOOK_TEST event (or a sample of a catalog type) to one subscription,
 * whatever its `events`, as a delivery like any other: the event stored, its delivery row, one workflow
 * `delivery:<eventId>:<subscriptionId>` started with the dispatcher's starter, signed and recorded by the worker.
 *
 * The event is stored already marked dispatched, in the statement that creates its delivery row: the listener's
 * sweep never matches it against the account's subscriptions (a `*` subscription must not receive another's test).
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { StartDelivery } from '../events/dispatcher';
import { serialiseEnvelope } from '../events/envelope';
import { testEventEnvelope } from '../events/sample-events';
import type { WebhookSubscription } from '../subscriptions/subscription.entity';
import { deliveryWorkflowId } from '../temporal/contract';
import { createDeliveryRepository } from './delivery.repository';

export type SendTestEvent = (subscription: WebhookSubscription, type: string) => Promise<{ eventId: string; deliveryId: string }>;

export interface TestEventDeps {
  readonly dataSource: DataSource;
  /** The dispatcher's starter (REJECT_DUPLICATE: a fresh event id, so it always starts). */
  readonly startDelivery: StartDelivery;
  readonly now?: () => Date;
}

/** Event ids of test events start with this (receivers may recognise them). */
export const TEST_EVENT_ID_PREFIX = 'test_';

const STORE_TEST_EVENT_SQL = `
  WITH stored AS (
    INSERT INTO webhook_events (id, account_id, type, body, dispatched_at) VALUES ($1, $2, $3, $4, now())
    RETURNING id, received_at
  )
  INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, workflow_id, status, event_received_at)
  SELECT $5, $2, stored.id, $3, $6, 'PENDING', stored.received_at FROM stored
  RETURNING id`;

export function createTestEventSender(deps: TestEventDeps): SendTestEvent {
  const now = deps.now ?? (() => new Date());
  const deliveries = createDeliveryRepository(deps.dataSource);
  return async (subscription, type) => {
    const eventId = `${TEST_EVENT_ID_PREFIX}${randomUUID()}`;
    const { accountId, id: subscriptionId } = subscription;
    const envelope = testEventEnvelope({ eventId, accountId, subscriptionId, type, occurredAt: now() });
    const workflowId = deliveryWorkflowId(eventId, subscriptionId);
    const rows: Array<{ id: string }> = await deps.dataSource.query(STORE_TEST_EVENT_SQL, [
      eventId,
      accountId,
      type,
      serialiseEnvelope(envelope),
      subscriptionId,
      workflowId,
    ]);
    const deliveryId = (rows[0] as { id: string }).id;
    try {
      await deps.startDelivery({ eventId, subscriptionId, accountId, eventType: type, targetUrl: subscription.url });
    } catch (error) {
      // Not left PENDING for ever: FAILURE with the reason, and POST /webhooks/deliveries/:id/retry sends it later.
      await deliveries.recordFailure(
        { eventId, subscriptionId, accountId, eventType: type, workflowId },
        'the test delivery could not be started; retry it',
      );
      throw error;
    }
    return { eventId, deliveryId };
  };
}
