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

export interface RecordDeliveryStartedInput {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  readonly workflowId: string;
}

export interface SendWebhookInput {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly subscriptionId: string;
}

export interface SendWebhookResult {
  readonly statusCode: number;
  /** Delivery-wide sequence number of the successful attempt. */
  readonly attempt: number;
}

export interface RecordDeliveryOutcomeInput {
  readonly deliveryId: string;
  readonly status: 'SUCCESS' | 'FAILURE';
  /** Why the delivery failed (no secrets; the message of the last failure). */
  readonly error?: string;
}
