/**
 * The delivery activities, built once per worker from injected dependencies. Their names are wire contracts
 * (the workflow schedules them by name): sendWebhook (one per delivery on the success path) and
 * recordDeliveryFailure (only when sendWebhook finally fails).
 */
import type { ActivityDeps } from './activity-deps';
import { createRecordDeliveryActivities } from './record-delivery.activity';
import { createSendWebhookActivity } from './send-webhook.activity';

export type { ActivityDeps } from './activity-deps';
export { SendFailure } from './send-webhook.activity';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRecordDeliveryActivities(deps),
    sendWebhook: createSendWebhookActivity(deps),
  };
}

export type DeliveryActivities = ReturnType<typeof createActivities>;
