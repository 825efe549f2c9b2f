/**
 * The delivery activity's retry policy. Pure; imports types only, so the workflow may import `toActivityRetryPolicy`.
 *
 * Timeouts nest: HTTP attempt (WEBHOOKS_REQUEST_TIMEOUT_MS, 5 s) < activity startToClose (HTTP + DB_WRITE_MARGIN_MS)
 * < retry maximum interval (2 h by default) < the whole schedule (20 attempts with backoff 2 from 5 s, capped at 2 h:
 * about 19 h). The HTTP client enforces the attempt timeout; startToClose only catches a worker that hangs or dies,
 * after which Temporal retries the activity on another worker.
 */
import type { RetryPolicy } from '@temporalio/common';
import type { Config } from '../config';
import type { DeliveryRetryPolicy } from '../../workflows/deliver-webhook.types';

/** Time allowed for the DB reads and writes around one HTTP attempt. */
export const DB_WRITE_MARGIN_MS = 10_000;

export function deliveryRetryPolicy(config: Pick<Config, 'delivery'>): DeliveryRetryPolicy {
  const { retry, requestTimeoutMs } = config.delivery;
  return {
    initialIntervalMs: retry.initialIntervalMs,
    backoffCoefficient: retry.backoffCoefficient,
    maximumIntervalMs: retry.maximumIntervalMs,
    maximumAttempts: retry.maximumAttempts,
    startToCloseTimeoutMs: requestTimeoutMs + DB_WRITE_MARGIN_MS,
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
