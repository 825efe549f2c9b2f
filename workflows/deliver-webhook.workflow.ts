/**
 * deliverWebhookWorkflow: one event to one subscription. Deterministic, no I/O: imports only types and pure
 * constants. The retry policy arrives in the input (computed by the starter from config).
 *
 * sendWebhook under the retry policy (it upserts the PENDING row, makes the attempt and, on a 2xx, records SUCCESS
 * with the attempt) -> the workflow completes. Or, once it finally fails: recordDeliveryFailure, and the workflow
 * fails (so the Temporal UI's Failed filter shows it; resetting it re-delivers and appends attempts). The delivery's
 * state in the UI is the workflow's ExecutionStatus: no search attribute is upserted.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities';
import { toActivityRetryPolicy } from '../src/temporal/retry-policy';
import type { DeliverWebhookInput, DeliverWebhookResult, SendWebhookInput, SendWebhookResult } from './deliver-webhook.types';

/** The failure write retries (bounded backoff) until the database answers: a fault must not lose the outcome. */
const bookkeeping = proxyActivities<Pick<DeliveryActivities, 'recordDeliveryFailure'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const DELIVERY_FAILED = 'DeliveryFailed';

/** The innermost message of a failure chain: the receiver's answer or the refusal, never a stack. */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

export async function deliverWebhookWorkflow(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
  const delivery: SendWebhookInput = {
    eventId: input.eventId,
    subscriptionId: input.subscriptionId,
    accountId: input.accountId,
    eventType: input.eventType,
  };
  const sender = proxyActivities<Pick<DeliveryActivities, 'sendWebhook'>>({
    startToCloseTimeout: input.retry.startToCloseTimeoutMs,
    retry: toActivityRetryPolicy(input.retry),
  });
  let sent: SendWebhookResult;
  try {
    sent = await sender.sendWebhook(delivery);
  } catch (error) {
    const reason = reasonOf(error);
    // Record the failure even when the workflow is being cancelled, then end as Failed (or Cancelled).
    await CancellationScope.nonCancellable(() => bookkeeping.recordDeliveryFailure({ ...delivery, error: reason }));
    if (isCancellation(error)) throw error;
    throw ApplicationFailure.create({ message: `delivery failed: ${reason}`, type: DELIVERY_FAILED, nonRetryable: true, cause: error as Error });
  }
  return { deliveryId: sent.deliveryId, status: 'SUCCESS' };
}
