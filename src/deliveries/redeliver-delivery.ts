import type { WebhookSubscription } from '../subscriptions/subscription.entity';
import type { WebhookDelivery } from './delivery.entity';

/**
 * The deliveries slice's port for starting a delivery again (implemented on Temporal by src/deliveries/delivery-starter.ts):
 * the delivery workflow again for a delivery whose previous run has closed (same workflow id, a new run: attempts
 * append to the same row, same webhook-id). `running`: a run is still open, nothing was started.
 */
export type RedeliverDelivery = (
  delivery: WebhookDelivery,
  subscription: WebhookSubscription,
) => Promise<{ outcome: 'started'; runId: string } | { outcome: 'running' }>;
