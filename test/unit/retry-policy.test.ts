import { loadConfig } from '../../src/config';
import { DB_WRITE_MARGIN_MS, deliveryRetryPolicy, scheduleSpanMs, toActivityRetryPolicy } from '../../src/temporal/retry-policy';

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
    });
    expect(toActivityRetryPolicy(policy)).toEqual({ initialInterval: 100, backoffCoefficient: 1.5, maximumInterval: 400, maximumAttempts: 3 });
  });

  it('nests the timeouts: HTTP attempt < activity startToClose < max retry interval by default', () => {
    const config = loadConfig({});
    const policy = deliveryRetryPolicy(config);
    expect(config.delivery.requestTimeoutMs).toBeLessThan(policy.startToCloseTimeoutMs);
    expect(policy.startToCloseTimeoutMs).toBeLessThan(policy.maximumIntervalMs);
    expect(policy.maximumIntervalMs).toBeLessThan(scheduleSpanMs(policy));
  });

  it('sums the capped waits between attempts', () => {
    const base = { initialIntervalMs: 100, backoffCoefficient: 2, maximumIntervalMs: 300, startToCloseTimeoutMs: 1 };
    expect(scheduleSpanMs({ ...base, maximumAttempts: 1 })).toBe(0);
    expect(scheduleSpanMs({ ...base, maximumAttempts: 4 })).toBe(100 + 200 + 300);
  });
});
