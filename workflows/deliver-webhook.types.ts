/**
 * Wire types of the delivery workflow and its activities. Types only: the workflow sandbox imports this file.
 * Changing a field is a breaking change for running workflows and for the starter (the dispatcher).
 */

/** The activity retry policy as plain values, computed by the starter from config (see src/temporal/retry-policy.ts). */
export interface DeliveryRetryPolicy {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly maximumAttempts: number;
  /** One activity attempt: the HTTP attempt plus a margin for the DB writes around it. */
  readonly startToCloseTimeoutMs: number;
}

export interface DeliverWebhookInput {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  /** Host of the subscription URL when the delivery was started (for the search attribute only). */
  readonly targetHost: string;
  readonly retry: DeliveryRetryPolicy;
}

export interface DeliverWebhookResult {
  readonly deliveryId: string;
  readonly status: 'SUCCESS';
}

/** What sendWebhook needs: the delivery is keyed by (event, subscription); the row is upserted by the activity. */
export interface SendWebhookInput {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
}

export interface SendWebhookResult {
  /** The delivery row (its id is the webhook-id's source). */
  readonly deliveryId: string;
  readonly statusCode: number;
  /** Delivery-wide sequence number of the successful attempt. */
  readonly attempt: number;
}

/** Records FAILURE on the delivery keyed by (event, subscription), creating the row if no attempt ever did. */
export interface RecordDeliveryFailureInput extends SendWebhookInput {
  /** Why the delivery failed (no secrets; the message of the last failure). */
  readonly error: string;
}
