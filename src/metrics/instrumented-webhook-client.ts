/** The delivery HTTP client with every attempt counted and timed by outcome class (worker metrics). */
import type { WebhookClient } from '../http/webhook-client';
import { attemptOutcomeClass } from './labels';
import type { WorkerMetrics } from './metric-definitions';

export function instrumentWebhookClient(
  client: WebhookClient,
  metrics: Pick<WorkerMetrics, 'attempts' | 'attemptDuration'>,
): WebhookClient {
  return {
    async post(request) {
      const attempt = await client.post(request);
      const outcome = attemptOutcomeClass(attempt.result);
      metrics.attempts.inc({ outcome });
      metrics.attemptDuration.observe({ outcome }, attempt.durationMs / 1000);
      return attempt;
    },
  };
}
