/**
 * Wakes the deliveries of a subscription that wait for their turn, when the subscription stops being one whose lanes
 * wait (switched off, deleted, or no longer ordered): each asks for its turn again at once and goes (an inactive or
 * deleted subscription's attempt then ends it as FAILURE with the subscription's reason) instead of waiting for the
 * delivery ahead, whose next attempt may be hours away. Best effort: a delivery missed here wakes at its re-check.
 */
import type { Logger } from '../logger';
import { errorSummary } from '../shared/error-summary';
import type { LaneRepository } from './lane.repository';

/** Waiting deliveries woken per call; more wake at their re-check (WEBHOOKS_LANE_RECHECK_MS). */
export const MAX_WOKEN_PER_CHANGE = 10_000;
const CONCURRENCY = 16;

export type WakeLanes = (subscriptionId: string) => Promise<number>;

export interface LaneWakerDeps {
  readonly lanes: Pick<LaneRepository, 'waitingWorkflows'>;
  /** Sends the lane-turn signal to one workflow (Temporal); a workflow that is not running rejects, and is skipped. */
  readonly signal: (workflowId: string) => Promise<void>;
  readonly logger: Logger;
}

export function createLaneWaker(deps: LaneWakerDeps): WakeLanes {
  return async (subscriptionId) => {
    const waiting = await deps.lanes.waitingWorkflows(subscriptionId, MAX_WOKEN_PER_CHANGE);
    let woken = 0;
    let failed = 0;
    for (let i = 0; i < waiting.length; i += CONCURRENCY) {
      const results = await Promise.allSettled(waiting.slice(i, i + CONCURRENCY).map((workflowId) => deps.signal(workflowId)));
      woken += results.filter((r) => r.status === 'fulfilled').length;
      failed += results.filter((r) => r.status === 'rejected').length;
    }
    if (waiting.length > 0) {
      deps.logger.info({ subscriptionId, woken, failed }, 'woke the deliveries waiting in the subscription’s lanes');
    }
    return woken;
  };
}

/** Runs a wake in the background of a request: its failure is logged, never answered. */
export function wakeInBackground(wake: WakeLanes | undefined, subscriptionId: string, logger: Logger): void {
  if (!wake) return;
  wake(subscriptionId).catch((error: unknown) =>
    logger.warn({ subscriptionId, err: errorSummary(error) }, 'could not wake the deliveries waiting in the subscription’s lanes'),
  );
}
