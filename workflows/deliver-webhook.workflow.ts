/**
 * deliverWebhookWorkflow: one event to one subscription. Deterministic, no I/O: imports only types and pure
 * constants. The retry policy arrives in the input (computed by the starter from config).
 *
 * First attempt: sendWebhook as a local activity (it upserts the PENDING row, makes the attempt and, on a 2xx,
 * records SUCCESS with the attempt), inside the first workflow task: on success the whole delivery is one workflow
 * task and one marker event. A retryable failure: sleep for the initial interval (or the receiver's Retry-After),
 * then sendWebhook as a regular activity under the rest of the policy, so a retrying delivery is a pending activity
 * in the Temporal UI with its attempt count and last failure. Once it finally fails (or the first attempt fails
 * non-retryably): recordDeliveryFailure, and the workflow fails (the UI's Failed filter shows it; resetting it
 * re-delivers and appends attempts). The delivery's state in the UI is the workflow's ExecutionStatus: no search
 * attribute is upserted.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities';
import { firstAttemptTimeoutOf, firstRetryDelayMs, laterAttemptsRetryPolicy } from '../src/temporal/retry-policy';
import type {
  AttemptFailureDetails,
  DeliverWebhookInput,
  DeliverWebhookResult,
  SendWebhookInput,
  SendWebhookResult,
} from './deliver-webhook.types';

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

/** The activity's own ApplicationFailure: a regular activity's comes wrapped in an ActivityFailure, a local one's bare. */
function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof ActivityFailure) current = current.cause;
  return current instanceof ApplicationFailure ? current : undefined;
}

/** A failed first attempt is retried unless the activity said not to (410, inactive subscription, SSRF refusal...). */
function isRetryable(error: unknown): boolean {
  if (isCancellation(error)) return false;
  const failure = applicationFailureOf(error);
  // No ApplicationFailure: a timeout of the local attempt (slow database): the regular activity takes over.
  return failure ? !failure.nonRetryable : true;
}

/** The receiver's Retry-After carried in the failed attempt's details (see the activity's AttemptFailureDetails). */
function retryAfterOf(error: unknown): number | undefined {
  const details = applicationFailureOf(error)?.details?.[0] as AttemptFailureDetails | undefined;
  return typeof details?.nextRetryDelayMs === 'number' ? details.nextRetryDelayMs : undefined;
}

async function deliver(input: DeliverWebhookInput, delivery: SendWebhookInput): Promise<SendWebhookResult> {
  const firstAttempt = proxyLocalActivities<Pick<DeliveryActivities, 'sendWebhook'>>({
    startToCloseTimeout: firstAttemptTimeoutOf(input.retry),
    retry: { maximumAttempts: 1 },
  });
  try {
    return await firstAttempt.sendWebhook(delivery);
  } catch (error) {
    const later = laterAttemptsRetryPolicy(input.retry);
    if (!later || !isRetryable(error)) throw error;
    await sleep(firstRetryDelayMs(input.retry, retryAfterOf(error)));
    const laterAttempts = proxyActivities<Pick<DeliveryActivities, 'sendWebhook'>>({
      startToCloseTimeout: input.retry.startToCloseTimeoutMs,
      retry: later,
    });
    return await laterAttempts.sendWebhook({ ...delivery, attemptOffset: 1 });
  }
}

export async function deliverWebhookWorkflow(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
  const delivery: SendWebhookInput = {
    eventId: input.eventId,
    subscriptionId: input.subscriptionId,
    accountId: input.accountId,
    eventType: input.eventType,
  };
  let sent: SendWebhookResult;
  try {
    sent = await deliver(input, delivery);
  } catch (error) {
    const reason = reasonOf(error);
    // Record the failure even when the workflow is being cancelled, then end as Failed (or Cancelled).
    await CancellationScope.nonCancellable(() => bookkeeping.recordDeliveryFailure({ ...delivery, error: reason }));
    if (isCancellation(error)) throw error;
    throw ApplicationFailure.create({ message: `delivery failed: ${reason}`, type: DELIVERY_FAILED, nonRetryable: true, cause: error as Error });
  }
  return { deliveryId: sent.deliveryId, status: 'SUCCESS' };
}
