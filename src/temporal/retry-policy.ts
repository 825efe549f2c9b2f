/**
 * The delivery activity's retry policy, built from config on the client side. Pure.
 *
 * The first attempt is a local activity (it rides on the workflow task: no activity scheduled, one marker event);
 * the later attempts are the regular activity under the rest of the policy, so a retrying delivery shows in the
 * Temporal UI as a pending activity with its attempt count and last failure. Between the two the workflow sleeps for
 * the policy's initial interval (or the receiver's Retry-After), then the regular activity continues the schedule
 * from the second interval: the waits are those of one activity under the whole policy.
 *
 * The workflow's own steps through the schedule (the wait after the first attempt, the later attempts' plan) are in
 * workflows/retry-plan.ts, inside the sandbox, which imports nothing from src/.
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
import { laterAttemptsPlan, planRetryPolicy } from '../../workflows/retry-plan';

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

/**
 * The workflow-task timeout a delivery starts with: Temporal's default (10 s) while the local first attempt ends
 * within 80% of it (5 s HTTP + 2 s), otherwise raised so that it does (a longer WEBHOOKS_REQUEST_TIMEOUT_MS).
 */
export function workflowTaskTimeoutMs(policy: DeliveryRetryPolicy): number {
  return Math.max(DEFAULT_WORKFLOW_TASK_TIMEOUT_MS, Math.ceil(policy.firstAttemptTimeoutMs / 0.8) + 1_000);
}

/**
 * The regular activity's policy for the attempts after the local first one: one attempt fewer, starting at the
 * second interval of the whole schedule. Null when the policy allows a single attempt.
 */
export function laterAttemptsRetryPolicy(policy: DeliveryRetryPolicy): RetryPolicy | null {
  const plan = laterAttemptsPlan(policy);
  return plan ? planRetryPolicy(plan) : null;
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
