/**
 * Wire types of the delivery workflow and its activities, and the name of its one signal. Types and constants only:
 * the workflow sandbox imports this file. Changing a field is a breaking change for running workflows and for the
 * starter (the dispatcher).
 */

/** Sent by a delivery in a lane, once it ended, to the deliveries waiting for it (and by the API to wake them). */
export const LANE_TURN_SIGNAL = 'laneTurn';

/** The activity retry policy as plain values, computed by the starter from config (see src/temporal/retry-policy.ts). */
export interface DeliveryRetryPolicy {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly maximumAttempts: number;
  /** One regular activity attempt: the HTTP attempt plus a margin for the DB writes around it. */
  readonly startToCloseTimeoutMs: number;
  /** The local first attempt: the HTTP attempt plus a shorter margin. */
  readonly firstAttemptTimeoutMs: number;
}

export interface DeliverWebhookInput {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  /** Host of the subscription URL when the delivery was started (for the search attribute only). */
  readonly targetHost: string;
  readonly retry: DeliveryRetryPolicy;
  /** Present for a delivery in a lane (an ordered subscription, an event with an orderingKey): it waits for its turn. */
  readonly lane?: DeliveryLaneInput;
}

export interface DeliveryLaneInput {
  readonly orderingKey: string;
  /** The stream entry the event came in: its turn also waits until every entry before it is stored. Null: Pub/Sub. */
  readonly streamEntryId: string | null;
  /** While waiting, the lane is looked at again (a lost signal) after initialMs, doubling up to maxMs. */
  readonly recheck: { readonly initialMs: number; readonly maxMs: number };
}

/** What joinLane needs: the delivery, keyed by (event, subscription). */
export interface JoinLaneInput {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly streamEntryId: string | null;
  /**
   * The ask follows a wait that ended without a signal: a delivery ahead whose workflow is closed without having
   * ended its turn (terminated, say) is passed on its behalf.
   */
  readonly recheck: boolean;
}

/** The delivery ahead in the lane: its id (the API's waitingFor), its event, its workflow. */
export interface LaneAheadInfo {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly workflowId: string;
}

/**
 * `go`: make the first attempt now. `wait`: wait for the delivery ahead to end (its signal, or a re-check).
 * `intake`: events before this one on the stream are not all stored yet; ask again soon.
 */
export type LaneTurn = { readonly kind: 'go' } | { readonly kind: 'wait'; readonly ahead: LaneAheadInfo } | { readonly kind: 'intake' };

/** What passLane needs, and what it answers: the workflows that waited for this delivery. */
export interface PassLaneInput {
  readonly eventId: string;
  readonly subscriptionId: string;
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
  /**
   * Temporal attempts made before this activity's first one: 1 for the regular activity that follows the local first
   * attempt. The attempt log keys an attempt by (run, offset + Temporal's attempt), so local and regular attempts of
   * one run never share a key.
   */
  readonly attemptOffset?: number;
}

/** The details of a failed attempt's ApplicationFailure (what the workflow reads after the local first attempt). */
export interface AttemptFailureDetails {
  /** Delivery-wide number of the failed attempt. */
  readonly attempt: number;
  readonly statusCode?: number;
  readonly error?: string;
  /** The receiver's Retry-After (capped), when it gave one: the wait before the next attempt. */
  readonly nextRetryDelayMs?: number;
}

/** sendWebhook made its attempt and the receiver answered 2xx. */
export interface SendWebhookSent {
  readonly kind: 'sent';
  /** The delivery row (its id is the webhook-id's source). */
  readonly deliveryId: string;
  readonly statusCode: number;
  /** Delivery-wide sequence number of the successful attempt. */
  readonly attempt: number;
}

/**
 * Why an attempt was not made now: the subscription's rateLimitPerSecond, its endpoint's in-flight bound, or another
 * execution of the same attempt making it right now (a workflow task replayed by another worker under load).
 */
export type ThrottleReason = 'rate_limit' | 'endpoint_busy' | 'attempt_in_flight';

/**
 * sendWebhook made no attempt (nothing recorded, nothing sent, no retry spent): the workflow sleeps `waitMs` on a
 * durable timer, holding no worker slot, then asks again.
 */
export interface SendWebhookThrottled {
  readonly kind: 'throttled';
  readonly reason: ThrottleReason;
  readonly waitMs: number;
  /**
   * Temporal's attempt number of the throttled call (1 for the local first attempt). The attempts before it were
   * made (and recorded); this one was not, so the workflow deducts `activityAttempt - 1` from the retry budget.
   */
  readonly activityAttempt: number;
}

export type SendWebhookResult = SendWebhookSent | SendWebhookThrottled;

/** Records FAILURE on the delivery keyed by (event, subscription), creating the row if no attempt ever did. */
export interface RecordDeliveryFailureInput extends Omit<SendWebhookInput, 'attemptOffset'> {
  /** Why the delivery failed (no secrets; the message of the last failure). */
  readonly error: string;
}
