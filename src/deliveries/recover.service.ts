/**
 * POST /webhooks/subscriptions/:id/recover: every FAILURE delivery of one subscription created in the window is sent
 * again exactly as POST /webhooks/deliveries/:id/retry does it (same workflow id, a new run: attempts append to the
 * same row under the same webhook-id). At most RECOVER_MAX_DELIVERIES per call, oldest first; `nextSince` tells the
 * caller where the rest start (call again with it as `since`). A delivery with a run still open is left alone.
 */
import type { RedeliverDelivery } from './redeliver-delivery';
import type { WebhookSubscription } from '../subscriptions/subscription.entity';
import type { DeliveryReadRepository } from './delivery-read.repository';
import { RECOVER_MAX_DELIVERIES, type RecoverWindow } from './recover-window';

export interface RecoverResult {
  /** Deliveries sent again by this call. */
  readonly deliveries: number;
  /** Creation time of the first FAILURE delivery of the window left for a next call; null when none is left. */
  readonly nextSince: string | null;
}

export type Recover = (subscription: WebhookSubscription, window: RecoverWindow) => Promise<RecoverResult>;

export interface RecoverDeps {
  readonly deliveries: Pick<DeliveryReadRepository, 'listFailedInWindow'>;
  readonly redeliver: RedeliverDelivery;
  /** Default RECOVER_MAX_DELIVERIES. */
  readonly maxDeliveries?: number;
  /** Workflow starts in flight at once (default 8). */
  readonly concurrency?: number;
}

export function createRecoverer(deps: RecoverDeps): Recover {
  const max = deps.maxDeliveries ?? RECOVER_MAX_DELIVERIES;
  const concurrency = deps.concurrency ?? 8;
  return async (subscription, window) => {
    const { rows, nextSince } = await deps.deliveries.listFailedInWindow(subscription.accountId, subscription.id, window, max);
    let next = 0;
    let started = 0;
    // A few starts at once; the first failure (Temporal unreachable) stops the others from taking more work and is
    // raised once they finish. Deliveries already started stay started; calling again re-sends the rest.
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      while (failure === undefined && next < rows.length) {
        const delivery = rows[next];
        next += 1;
        try {
          const result = await deps.redeliver(delivery, subscription);
          if (result.outcome === 'started') started += 1;
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
    if (failure) throw failure.error;
    return { deliveries: started, nextSince };
  };
}
