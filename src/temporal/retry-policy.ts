/**
 * The delivery activity's retry policy. Pure; imports types only, so the workflow may import the helpers below.
 *
 * The first attempt is a local activity (it rides on the workflow task: no activity scheduled, one marker event);
 * the later attempts are the regular activity under the rest of the policy, so a retrying delivery shows in the
 * Temporal UI as a pending activity with its attempt count and last failure. Between the two the workflow sleeps for
 * the policy's initial interval (or the receiver's Retry-After), then the regular activity continues the schedule
 * from the second interval: the waits are those of one activity under the whole policy.
 *
 * Timeouts nest: HTTP attempt (WEBHOOKS_REQUEST_TIMEOUT_MS, 5 s) < local first attempt (HTTP +
 * FIRST_ATTEMPT_DB_MARGIN_MS) < 80% of the workflow-task timeout (so the worker never has to heartbeat the task),
 * and HTTP < regular activity startToClose (HTTP + DB_WRITE_MARGIN_MS) < retry maximum interval (2 h by default)
 * < the whole schedule (20 attempts with backoff 2 from 5 s, capped at 2 h: about 19 h). The HTTP client enforces
 * the attempt timeout; the activity timeouts only catch a worker that hangs or dies, after which Temporal retries.
 */
import type { RetryPolicy } from '@temporalio/common';
import type { Config } from '../config';
import type { DeliveryRetryPolicy } from '../../workflows/deliver-webhook.types';

/** Time allowed for the DB reads and writes around one HTTP attempt of the regular activity. */
export const DB_WRITE_MARGIN_MS = 10_000;

/**
 * The same for the local first attempt: shorter, as it holds the workflow task open. A first attempt that overruns
 * it (a slow database) fails as a timeout and the regular activity, with the wider margin, takes over.
 */
export const FIRST_ATTEMPT_DB_MARGIN_MS = 2_000;

/** Temporal's default workflow-task timeout; a local activity past 80% of it makes the worker heartbeat the task. */
export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;

export function deliveryRetryPolicy(config: Pick<Config, 'delivery'>): DeliveryRetryPolicy {
  const { retry, requestTimeoutMs } = config.delivery;
  return {
    initialIntervalMs: retry.initialIntervalMs,
    backoffCoefficient: retry.backoffCoefficient,
    maximumIntervalMs: retry.maximumIntervalMs,
    maximumAttempts: retry.maximumAttempts,
    startToCloseTimeoutMs: requestTimeoutMs + DB_WRITE_MARGIN_MS,
    firstAttemptTimeoutMs: requestTimeoutMs + FIRST_ATTEMPT_DB_MARGIN_MS,
  };
}

/** The local first attempt's timeout; a workflow started before it was in the input uses the regular one's. */
export function firstAttemptTimeoutOf(policy: DeliveryRetryPolicy): number {
  return policy.firstAttemptTimeoutMs ?? policy.startToCloseTimeoutMs;
}

/**
 * The workflow-task timeout a delivery starts with: Temporal's default (10 s) while the local first attempt ends
 * within 80% of it (5 s HTTP + 2 s), otherwise raised so that it does (a longer WEBHOOKS_REQUEST_TIMEOUT_MS).
 */
export function workflowTaskTimeoutMs(policy: DeliveryRetryPolicy): number {
  return Math.max(DEFAULT_WORKFLOW_TASK_TIMEOUT_MS, Math.ceil(firstAttemptTimeoutOf(policy) / 0.8) + 1_000);
}

/** The wait after the local first attempt failed: the receiver's Retry-After (already capped) or the initial interval. */
export function firstRetryDelayMs(policy: DeliveryRetryPolicy, retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : policy.initialIntervalMs;
}

/**
 * The regular activity's policy for the attempts after the local first one: one attempt fewer, starting at the
 * second interval of the whole schedule. Null when the policy allows a single attempt.
 */
export function laterAttemptsRetryPolicy(policy: DeliveryRetryPolicy): RetryPolicy | null {
  const plan = laterAttemptsPlan(policy);
  return plan ? planRetryPolicy(plan) : null;
}

/**
 * Where the later attempts stand: the regular sendWebhook activity to schedule next. It starts as the rest of the
 * policy after the local first attempt (offset 1, one attempt fewer, the second interval). When one of its attempts
 * is throttled (rate limit, busy endpoint), that activity ends without spending the attempt; the workflow sleeps and
 * schedules the next one from `afterThrottledAttempt`: the attempts already made are deducted from the budget, the
 * offset advances past them (attempt keys stay unique, numbers gap-free) and the backoff continues where it was.
 */
export interface LaterAttemptsPlan {
  /** Delivery-wide attempts made before this activity's first one (its SendWebhookInput.attemptOffset). */
  readonly attemptOffset: number;
  /** Attempts this activity may make (its retry policy's maximumAttempts; at least 1). */
  readonly maximumAttempts: number;
  /** The wait after this activity's first failed attempt; later waits grow by the backoff up to the maximum. */
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
}

/** The plan after the local first attempt failed; null when the policy allows a single attempt. */
export function laterAttemptsPlan(policy: DeliveryRetryPolicy): LaterAttemptsPlan | null {
  if (policy.maximumAttempts <= 1) return null;
  return {
    attemptOffset: 1,
    maximumAttempts: policy.maximumAttempts - 1,
    initialIntervalMs: Math.min(policy.initialIntervalMs * policy.backoffCoefficient, policy.maximumIntervalMs),
    backoffCoefficient: policy.backoffCoefficient,
    maximumIntervalMs: policy.maximumIntervalMs,
  };
}

/**
 * The plan after the activity's attempt number `throttledAttempt` (Temporal's, from 1) was throttled: the
 * `throttledAttempt - 1` attempts before it were made, so they are deducted and skipped; the throttled one was not,
 * so the next activity makes it. Its first failure waits what the throttled attempt's would have.
 */
export function afterThrottledAttempt(plan: LaterAttemptsPlan, throttledAttempt: number): LaterAttemptsPlan {
  const made = Math.min(Math.max(0, Math.floor(throttledAttempt) - 1), plan.maximumAttempts - 1);
  return {
    ...plan,
    attemptOffset: plan.attemptOffset + made,
    maximumAttempts: plan.maximumAttempts - made,
    initialIntervalMs: Math.min(plan.initialIntervalMs * plan.backoffCoefficient ** made, plan.maximumIntervalMs),
  };
}

/** The plan as the regular activity's Temporal RetryPolicy. */
export function planRetryPolicy(plan: LaterAttemptsPlan): RetryPolicy {
  return {
    initialInterval: plan.initialIntervalMs,
    backoffCoefficient: plan.backoffCoefficient,
    maximumInterval: plan.maximumIntervalMs,
    maximumAttempts: plan.maximumAttempts,
  };
}

/** Temporal's RetryPolicy for the send activity. Non-retryable failures are raised as nonRetryable ApplicationFailures. */
export function toActivityRetryPolicy(policy: DeliveryRetryPolicy): RetryPolicy {
  return {
    initialInterval: policy.initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: policy.maximumIntervalMs,
    maximumAttempts: policy.maximumAttempts,
  };
}

/** Upper bound of the whole retry schedule (sum of the waits between attempts), for documentation and tests. */
export function scheduleSpanMs(policy: DeliveryRetryPolicy): number {
  let total = 0;
  let interval = policy.initialIntervalMs;
  for (let attempt = 1; attempt < policy.maximumAttempts; attempt += 1) {
    total += Math.min(interval, policy.maximumIntervalMs);
    interval *= policy.backoffCoefficient;
  }
  return total;
}
