/**
 * The delivery activities, built once per worker from injected dependencies. Their names are wire contracts
 * (the workflow schedules them by name): sendWebhook (one per delivery on the success path) and
 * recordDeliveryFailure (only when sendWebhook finally fails); joinLane and passLane (deliveries in a lane only);
 * deleteExpiredRows for the retention workflow.
 */
import type { ActivityDeps } from './activity-deps';
import { createLaneActivities } from './lane.activity';
import { createRecordDeliveryActivities } from './record-delivery.activity';
import { createRetentionActivities } from './retention.activity';
import { createSendWebhookActivity } from './send-webhook.activity';

export type { ActivityDeps } from './activity-deps';
export { SendFailure } from './send-webhook.activity';

function createDeliveryActivities(deps: ActivityDeps) {
  return {
    ...createRecordDeliveryActivities(deps),
    ...createLaneActivities(deps),
    sendWebhook: createSendWebhookActivity(deps),
  };
}

/** Every activity the worker registers: the delivery ones and the retention one. */
export function createActivities(deps: ActivityDeps) {
  return { ...createDeliveryActivities(deps), ...createRetentionActivities(deps) };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
export type WorkerActivities = ReturnType<typeof createActivities>;
