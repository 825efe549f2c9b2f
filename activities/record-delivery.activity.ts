import { createDeliveryRepository } from '../src/deliveries/delivery.repository';
import { webhookIdFor } from '../src/http/signer';
import type { RecordDeliveryFailureInput } from '../workflows/deliver-webhook.types';
import type { ActivityDeps } from './activity-deps';
import { currentExecution } from './workflow-execution';

export function createRecordDeliveryActivities(deps: ActivityDeps) {
  const deliveries = createDeliveryRepository(deps.dataSource);
  return {
    /**
     * Sets the delivery to FAILURE with the reason, upserting on (event, subscription) so it works even when no
     * attempt created the row (deleted or inactive subscription). Idempotent: a second call changes nothing visible.
     */
    async recordDeliveryFailure(input: RecordDeliveryFailureInput): Promise<{ deliveryId: string }> {
      const { workflowId } = currentExecution();
      const deliveryId = await deliveries.recordFailure({ ...input, workflowId }, input.error);
      const logger = deps.logger.child({ workflowId, webhookId: webhookIdFor(deliveryId), deliveryId, eventType: input.eventType });
      logger.info({ status: 'FAILURE', error: input.error }, 'delivery finished');
      return { deliveryId };
    },
  };
}
