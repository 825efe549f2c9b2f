import { loadConfig } from '../../src/config';
import {
  DB_WRITE_MARGIN_MS,
  deliveryRetryPolicy,
  FIRST_ATTEMPT_DB_MARGIN_MS,
  laterAttemptsRetryPolicy,
  scheduleSpanMs,
  workflowTaskTimeoutMs,
} from '../../src/temporal/retry-policy';
import { afterThrottledAttempt, firstRetryDelayMs, laterAttemptsPlan, planRetryPolicy } from '../../workflows/retry-plan';

const HOUR_MS = 60 * 60 * 1000;

describe('delivery retry policy', () => {
  it('spreads the default schedule over about a day', () => {
    const policy = deliveryRetryPolicy(loadConfig({}));
    const span = scheduleSpanMs(policy);
    expect(span).toBeGreaterThan(12 * HOUR_MS);
    expect(span).toBeLessThan(48 * HOUR_MS);
  });

  it('takes every value from the WEBHOOKS_RETRY_* and request timeout variables', () => {
    const policy = deliveryRetryPolicy(
      loadConfig({
        WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
        WEBHOOKS_RETRY_BACKOFF: '1.5',
        WEBHOOKS_RETRY_MAX_INTERVAL_MS: '400',
        WEBHOOKS_RETRY_MAX_ATTEMPTS: '3',
        WEBHOOKS_REQUEST_TIMEOUT_MS: '1000',
      }),
    );
    expect(policy).toEqual({
      initialIntervalMs: 100,
      backoffCoefficient: 1.5,
      maximumIntervalMs: 400,
      maximumAttempts: 3,
      startToCloseTimeoutMs: 1000 + DB_WRITE_MARGIN_MS,
      firstAttemptTimeoutMs: 1000 + FIRST_ATTEMPT_DB_MARGIN_MS,
    });
    // The regular activity's policy after the local first attempt: the same values, from the second interval.
    expect(laterAttemptsRetryPolicy(policy)).toEqual({
      initialInterval: 150,
      backoffCoefficient: 1.5,
      maximumInterval: 400,
      maximumAttempts: 2,
    });
  });

  it('nests the timeouts: HTTP attempt < activity startToClose < max retry interval by default', () => {
    const config = loadConfig({});
    const policy = deliveryRetryPolicy(config);
    expect(config.delivery.requestTimeoutMs).toBeLessThan(policy.startToCloseTimeoutMs);
    expect(policy.startToCloseTimeoutMs).toBeLessThan(policy.maximumIntervalMs);
    expect(policy.maximumIntervalMs).toBeLessThan(scheduleSpanMs(policy));
  });

  it('sums the capped waits between attempts', () => {
    const base = {
      initialIntervalMs: 100,
      backoffCoefficient: 2,
      maximumIntervalMs: 300,
      startToCloseTimeoutMs: 1,
      firstAttemptTimeoutMs: 1,
    };
    expect(scheduleSpanMs({ ...base, maximumAttempts: 1 })).toBe(0);
    expect(scheduleSpanMs({ ...base, maximumAttempts: 4 })).toBe(100 + 200 + 300);
  });

  it('keeps the local first attempt within 80% of the default workflow-task timeout for the 5 s HTTP timeout', () => {
    const policy = deliveryRetryPolicy(loadConfig({}));
    expect(policy.firstAttemptTimeoutMs).toBe(5_000 + FIRST_ATTEMPT_DB_MARGIN_MS);
    expect(workflowTaskTimeoutMs(policy)).toBe(10_000);
    expect(policy.firstAttemptTimeoutMs).toBeLessThan(0.8 * workflowTaskTimeoutMs(policy));
  });

  it('raises the workflow-task timeout when a longer HTTP timeout would overrun 80% of the default', () => {
    const policy = deliveryRetryPolicy(loadConfig({ WEBHOOKS_REQUEST_TIMEOUT_MS: '60000' }));
    expect(workflowTaskTimeoutMs(policy)).toBeGreaterThan(10_000);
    expect(policy.firstAttemptTimeoutMs).toBeLessThan(0.8 * workflowTaskTimeoutMs(policy));
    expect(workflowTaskTimeoutMs(policy)).toBeLessThanOrEqual(120_000); // Temporal's upper bound
  });

  it('continues the schedule after the local first attempt: one attempt fewer, from the second interval', () => {
    const policy = {
      initialIntervalMs: 5_000,
      backoffCoefficient: 2,
      maximumIntervalMs: 15_000,
      maximumAttempts: 20,
      startToCloseTimeoutMs: 1,
      firstAttemptTimeoutMs: 1,
    };
    expect(laterAttemptsRetryPolicy(policy)).toEqual({
      initialInterval: 10_000,
      backoffCoefficient: 2,
      maximumInterval: 15_000,
      maximumAttempts: 19,
    });
    expect(laterAttemptsRetryPolicy({ ...policy, initialIntervalMs: 10_000 })?.initialInterval).toBe(15_000);
    expect(laterAttemptsRetryPolicy({ ...policy, maximumAttempts: 1 })).toBeNull();
  });

  it("waits the initial interval after the first attempt, or the receiver's Retry-After", () => {
    const policy = deliveryRetryPolicy(loadConfig({ WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '5000' }));
    expect(firstRetryDelayMs(policy, undefined)).toBe(5_000);
    expect(firstRetryDelayMs(policy, 30_000)).toBe(30_000);
    expect(firstRetryDelayMs(policy, 0)).toBe(5_000);
  });
});

describe('attempt accounting across throttled attempts', () => {
  const policy = {
    initialIntervalMs: 5_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 60_000,
    maximumAttempts: 20,
    startToCloseTimeoutMs: 1,
    firstAttemptTimeoutMs: 1,
  };

  it('starts the later attempts after the local one: offset 1, the rest of the budget, the second interval', () => {
    expect(laterAttemptsPlan(policy)).toEqual({
      attemptOffset: 1,
      maximumAttempts: 19,
      initialIntervalMs: 10_000,
      backoffCoefficient: 2,
      maximumIntervalMs: 60_000,
    });
    expect(laterAttemptsPlan({ ...policy, maximumAttempts: 1 })).toBeNull();
  });

  it.each([
    // throttled at the activity's attempt n: n - 1 attempts were made and are deducted; the backoff moves on as far
    [1, { attemptOffset: 1, maximumAttempts: 19, initialIntervalMs: 10_000 }],
    [2, { attemptOffset: 2, maximumAttempts: 18, initialIntervalMs: 20_000 }],
    [4, { attemptOffset: 4, maximumAttempts: 16, initialIntervalMs: 60_000 }],
    [19, { attemptOffset: 19, maximumAttempts: 1, initialIntervalMs: 60_000 }],
  ])('after a throttled attempt %i of the first regular activity: %o', (throttledAttempt, expected) => {
    expect(afterThrottledAttempt(laterAttemptsPlan(policy)!, throttledAttempt)).toMatchObject(expected);
  });

  it('never spends the throttled attempt: the delivery still makes every attempt of its policy, with gap-free keys', () => {
    // Throttle every regular activity at its third attempt, and count the attempts made until the budget is gone.
    let plan = laterAttemptsPlan(policy)!;
    const keys = [1]; // the local first attempt
    for (;;) {
      const made = Math.min(2, plan.maximumAttempts);
      for (let attempt = 1; attempt <= made; attempt += 1) keys.push(plan.attemptOffset + attempt);
      if (made === plan.maximumAttempts) break;
      plan = afterThrottledAttempt(plan, made + 1);
    }
    expect(keys).toEqual(Array.from({ length: policy.maximumAttempts }, (_, i) => i + 1));
  });

  it('keeps at least the throttled attempt in the budget even if told of more than were left', () => {
    const last = { ...laterAttemptsPlan(policy)!, maximumAttempts: 2 };
    expect(afterThrottledAttempt(last, 5)).toMatchObject({ attemptOffset: 2, maximumAttempts: 1 });
  });

  it('is the Temporal retry policy the regular activity runs under', () => {
    expect(planRetryPolicy(afterThrottledAttempt(laterAttemptsPlan(policy)!, 2))).toEqual({
      initialInterval: 20_000,
      backoffCoefficient: 2,
      maximumInterval: 60_000,
      maximumAttempts: 18,
    });
  });
});
