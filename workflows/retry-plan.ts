/**
 * The delivery workflow's steps through its retry policy (src/temporal/retry-policy.ts builds the policy from
 * config): the wait after the local first attempt, then the plan of the regular activity that makes the later
 * attempts, continued after a throttled one. Pure, inside the sandbox: the workflow imports it.
 */
import type { RetryPolicy } from '@temporalio/common';
import type { DeliveryRetryPolicy } from './deliver-webhook.types';

/** The wait after the local first attempt failed: the receiver's Retry-After (already capped) or the initial interval. */
export function firstRetryDelayMs(policy: DeliveryRetryPolicy, retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : policy.initialIntervalMs;
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
