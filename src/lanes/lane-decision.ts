/**
 * What a delivery in a lane does when it asks for its turn. Pure: the repository reads the facts in one statement
 * (src/lanes/lane.repository.ts), this decides. Table-tested in test/unit/lane-decision.test.ts.
 */

/** The delivery the asking one would wait for: the nearest one before it in the lane that has not ended its turn. */
export interface LaneAhead {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly workflowId: string;
}

/** The facts of one ask, as the join statement read them. */
export interface LaneFacts {
  /** False when the asking delivery has no row (nothing to order it by). */
  readonly placed: boolean;
  /** It ended its turn before: a re-send (retry, recover) or a reset is out of order by nature and never waits. */
  readonly passedBefore: boolean;
  readonly subscription: 'missing' | 'inactive' | 'unordered' | 'ordered';
  readonly ahead: LaneAhead | null;
}

/**
 * `go`: make the first attempt now. `wait`: wait for `ahead` to end (its signal, or a re-check on a timer).
 * `reason` says why (logs, the workflow's details).
 */
export type LaneDecision =
  | {
      readonly kind: 'go';
      readonly reason: 'head' | 'not-placed' | 'passed-before' | 'subscription-missing' | 'subscription-inactive' | 'unordered';
    }
  | { readonly kind: 'wait'; readonly ahead: LaneAhead };

/**
 * A delivery waits only while its subscription is active and ordered and one before it in the lane has not ended.
 * An inactive or deleted subscription lets every waiting delivery go at once: the attempt then ends it as FAILURE
 * with the subscription's reason, so disabling a subscription drains its lanes instead of leaving them waiting.
 */
export function decideTurn(facts: LaneFacts): LaneDecision {
  if (!facts.placed) return { kind: 'go', reason: 'not-placed' };
  if (facts.passedBefore) return { kind: 'go', reason: 'passed-before' };
  if (facts.subscription === 'missing') return { kind: 'go', reason: 'subscription-missing' };
  if (facts.subscription === 'inactive') return { kind: 'go', reason: 'subscription-inactive' };
  if (facts.subscription === 'unordered') return { kind: 'go', reason: 'unordered' };
  return facts.ahead ? { kind: 'wait', ahead: facts.ahead } : { kind: 'go', reason: 'head' };
}
