import { Registry } from 'prom-client';
import { defineWorkerMetrics } from '../../src/metrics/metric-definitions';
import { deliveryMetricsInterceptor } from '../../src/worker/delivery-metrics.interceptor';

/** Runs one activity call with the given result through the interceptor, as the worker would. */
async function through(registry: Registry, activityType: string, result: unknown): Promise<void> {
  const metrics = defineWorkerMetrics(registry);
  const factory = deliveryMetricsInterceptor(metrics);
  const interceptors = factory({ info: { activityType } } as never);
  await interceptors.inbound!.execute!({ args: [{ eventType: 'CONVERSATION_CREATED' }], headers: {} }, async () => result);
}

async function valuesOf(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((v) => [Object.values(v.labels).join(','), v.value]));
}

describe('delivery metrics interceptor', () => {
  it('counts a throttled sendWebhook by reason, not as a delivery', async () => {
    const registry = new Registry();
    await through(registry, 'sendWebhook', { kind: 'throttled', reason: 'endpoint_busy', waitMs: 500, activityAttempt: 1 });
    expect(await valuesOf(registry, 'webhooks_delivery_attempts_throttled_total')).toEqual({
      rate_limit: 0,
      endpoint_busy: 1,
      attempt_in_flight: 0,
    });
    expect(await valuesOf(registry, 'webhooks_deliveries_succeeded_total')).toEqual({});
  });

  it('counts a sent sendWebhook as a delivery that succeeded', async () => {
    const registry = new Registry();
    await through(registry, 'sendWebhook', { kind: 'sent', deliveryId: 'd', statusCode: 200, attempt: 1 });
    expect(await valuesOf(registry, 'webhooks_deliveries_succeeded_total')).toEqual({ CONVERSATION_CREATED: 1 });
    expect(await valuesOf(registry, 'webhooks_delivery_attempts_throttled_total')).toEqual({
      rate_limit: 0,
      endpoint_busy: 0,
      attempt_in_flight: 0,
    });
  });
});
