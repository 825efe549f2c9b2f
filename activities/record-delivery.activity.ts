import { createDeliveryRepository } from '../src/deliveries/delivery.repository';
import type { RecordDeliveryOutcomeInput, RecordDeliveryStartedInput } from '../workflows/deliver-webhook.types';
import type { ActivityDeps } from './activity-deps';

export function createRecordDeliveryActivities(deps: ActivityDeps) {
  const deliveries = createDeliveryRepository(deps.dataSource);
  return {
    /** Upserts the delivery row as PENDING (idempotent on (event, subscription)) and returns its id. */
    async recordDeliveryStarted(input: RecordDeliveryStartedInput): Promise<{ deliveryId: string }> {
      const deliveryId = await deliveries.recordStarted(input);
      deps.logger.info({ deliveryId, workflowId: input.workflowId }, 'delivery pending');
      return { deliveryId };
    },

    /** Sets the final status. Idempotent: writing the same status twice changes nothing visible. */
    async recordDeliveryOutcome(input: RecordDeliveryOutcomeInput): Promise<void> {
      await deliveries.recordOutcome(input.deliveryId, input.status, input.error);
      deps.logger.info({ deliveryId: input.deliveryId, status: input.status, error: input.error }, 'delivery finished');
    },
  };
}
