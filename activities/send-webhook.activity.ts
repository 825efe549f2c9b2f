/**
 * One delivery attempt: upsert the delivery row (PENDING; its id gives the webhook-id) and load the subscription and
 * the event in the same statement, sign the exact stored bytes with the live secrets, POST them through the guarded client, record the
 * attempt (and SUCCESS on a 2xx, in the same statement), then tell Temporal what to do next by the kind of
 * ApplicationFailure thrown (retryable, non-retryable, or retryable after a receiver's Retry-After).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createDeliveryRepository } from '../src/deliveries/delivery.repository';
import { classifyOutcome, type AttemptResult } from '../src/http/outcome';
import { signHeaders, webhookIdFor } from '../src/http/signer';
import { openLiveSecrets } from '../src/subscriptions/signing-secrets';
import { WebhookSubscription } from '../src/subscriptions/subscription.entity';
import type { AttemptFailureDetails, SendWebhookInput, SendWebhookResult } from '../workflows/deliver-webhook.types';
import type { ActivityDeps } from './activity-deps';
import { currentExecution } from './workflow-execution';

/** ApplicationFailure types raised by sendWebhook (visible in the Temporal UI). */
export const SendFailure = {
  SUBSCRIPTION_GONE: 'SubscriptionGone',
  SUBSCRIPTION_INACTIVE: 'SubscriptionInactive',
  EVENT_MISSING: 'EventMissing',
  NO_LIVE_SECRET: 'NoLiveSecret',
  HTTP_RETRYABLE: 'DeliveryAttemptFailed',
  HTTP_STOP: 'DeliveryRefused',
} as const;

const RESPONSE_BODY_COLUMN_CHARS = 1024;

export function createSendWebhookActivity(deps: ActivityDeps) {
  const deliveries = createDeliveryRepository(deps.dataSource);
  const subscriptions = deps.dataSource.getRepository(WebhookSubscription);

  return async function sendWebhook(input: SendWebhookInput): Promise<SendWebhookResult> {
    const execution = currentExecution();
    const { workflowId, runId } = execution;
    // Local first attempt: offset 0, Temporal attempt 1. Regular activity after it: offset 1, so keys continue at 2.
    const activityAttempt = execution.activityAttempt + (input.attemptOffset ?? 0);
    // One round trip: the PENDING row upserted (even when the subscription turns out to be gone, as the failure is
    // then recorded on it), with the subscription and the event read in the same statement.
    const { deliveryId, subscription, event } = await deliveries.beginAttempt({
      eventId: input.eventId, subscriptionId: input.subscriptionId, accountId: input.accountId, eventType: input.eventType, workflowId,
    });
    if (!subscription) {
      throw ApplicationFailure.nonRetryable(`subscription ${input.subscriptionId} was deleted`, SendFailure.SUBSCRIPTION_GONE);
    }
    if (!subscription.isActive) {
      throw ApplicationFailure.nonRetryable(`subscription ${subscription.id} is inactive`, SendFailure.SUBSCRIPTION_INACTIVE);
    }
    if (!event) throw ApplicationFailure.nonRetryable(`event ${input.eventId} is not stored`, SendFailure.EVENT_MISSING);

    const signedAt = deps.clock();
    const secrets = openLiveSecrets(deps.secretBox, subscription.id, subscription.secrets, signedAt);
    if (secrets.length === 0) {
      throw ApplicationFailure.nonRetryable(`subscription ${subscription.id} has no live signing secret`, SendFailure.NO_LIVE_SECRET);
    }
    const webhookId = webhookIdFor(deliveryId);
    const headers = signHeaders({
      body: event.body,
      webhookId,
      timestamp: Math.floor(signedAt.getTime() / 1000),
      eventType: event.type,
      secrets,
    });

    const sent = await deps.http.post({ url: subscription.url, body: event.body, headers });
    const outcome = classifyOutcome(sent.result, { retryAfterCapMs: deps.retryAfterCapMs, now: deps.clock() });
    const statusCode = sent.result.kind === 'response' ? sent.result.statusCode : null;
    const error = outcome.kind === 'success' ? null : outcome.reason;
    const { attempt } = await deliveries.recordAttempt(deliveryId, {
      runId,
      activityAttempt,
      startedAt: signedAt,
      durationMs: sent.durationMs,
      statusCode,
      error,
      responseBody: sent.responseExcerpt?.slice(0, RESPONSE_BODY_COLUMN_CHARS) ?? null,
    }, { succeeded: outcome.kind === 'success' });
    const log = { deliveryId, webhookId, attempt, activityAttempt, statusCode, durationMs: sent.durationMs };

    if (outcome.kind === 'success') {
      deps.logger.info(log, 'delivery attempt succeeded');
      return { deliveryId, statusCode: statusCode as number, attempt };
    }
    if (outcome.kind === 'stop') {
      if (outcome.deactivateSubscription) {
        await subscriptions.update({ id: subscription.id }, { isActive: false });
        deps.logger.warn({ ...log, subscriptionId: subscription.id }, 'receiver answered 410: subscription deactivated');
      }
      deps.logger.warn({ ...log, error }, 'delivery attempt refused, not retrying');
      throw ApplicationFailure.create({ message: outcome.reason, type: SendFailure.HTTP_STOP, nonRetryable: true, details: [detailsOf(sent.result, attempt)] });
    }
    deps.logger.info({ ...log, error, nextRetryDelayMs: outcome.nextRetryDelayMs }, 'delivery attempt failed, will retry');
    throw ApplicationFailure.create({
      message: outcome.reason,
      type: SendFailure.HTTP_RETRYABLE,
      nonRetryable: false,
      nextRetryDelay: outcome.nextRetryDelayMs,
      details: [detailsOf(sent.result, attempt, outcome.nextRetryDelayMs)],
    });
  };
}

/** What the workflow reads from a failed attempt (the failure converter does not carry nextRetryDelay into it). */
function detailsOf(result: AttemptResult, attempt: number, nextRetryDelayMs?: number): AttemptFailureDetails {
  const base = result.kind === 'response' ? { attempt, statusCode: result.statusCode } : { attempt, error: result.error };
  return nextRetryDelayMs === undefined ? base : { ...base, nextRetryDelayMs };
}
