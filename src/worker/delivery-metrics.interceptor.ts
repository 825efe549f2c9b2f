/**
 * Counts finished deliveries from the activities' own calls, without touching them: a `sendWebhook` that returns a
 * sent result is a delivery that got its 2xx, one that returns `throttled` is an attempt put off (by reason); a
 * `recordDeliveryFailure` that returns is a delivery recorded as FAILURE. The same for regular and local activities
 * (both pass through the worker's activity interceptors).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { eventTypeLabel } from '../metrics/labels';
import { THROTTLE_REASONS, type WorkerMetrics } from '../metrics/metric-definitions';

/** Activity names (wire contracts, see activities/index.ts). */
const SEND = 'sendWebhook';
const RECORD_FAILURE = 'recordDeliveryFailure';

const eventTypeOf = (args: readonly unknown[]): string => {
  const input = args[0] as { eventType?: unknown } | undefined;
  return eventTypeLabel(typeof input?.eventType === 'string' ? input.eventType : '');
};

/** The reason of a throttled sendWebhook result, or null for a sent one. */
function throttleReasonOf(result: unknown): string | null {
  const answer = result as { kind?: unknown; reason?: unknown } | undefined;
  if (answer?.kind !== 'throttled') return null;
  return (THROTTLE_REASONS as readonly unknown[]).includes(answer.reason) ? (answer.reason as string) : 'other';
}

export function deliveryMetricsInterceptor(
  metrics: Pick<WorkerMetrics, 'deliveriesSucceeded' | 'deliveriesFailed' | 'attemptsThrottled'>,
): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const type = ctx.info.activityType;
        if (type === SEND) {
          const reason = throttleReasonOf(result);
          if (reason) metrics.attemptsThrottled.inc({ reason });
          else metrics.deliveriesSucceeded.inc({ event_type: eventTypeOf(input.args) });
        } else if (type === RECORD_FAILURE) metrics.deliveriesFailed.inc({ event_type: eventTypeOf(input.args) });
        return result;
      },
    },
  });
}
