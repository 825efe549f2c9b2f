/**
 * The ordered phase's pure parts: its plan option, its event ids, and the order check of what the receiver saw.
 * Unit-tested (test/unit/bench-order-check.test.ts).
 */

export interface OrderedPlan {
  /** Ordering keys (lanes). */
  keys: number;
  /** Events per key. */
  events: number;
  drainTimeoutMs: number;
}

/**
 * `--ordered=<keys>x<events>` (e.g. 500x10); `--ordered` alone or no option: the default. Returns undefined for
 * anything else, so that the caller can refuse it.
 */
export function parseOrderedSize(
  value: string | undefined,
  fallback: { keys: number; events: number },
): { keys: number; events: number } | undefined {
  if (value === undefined || value === '') return fallback;
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) return undefined;
  const [keys, events] = [Number(match[1]), Number(match[2])];
  return keys >= 1 && events >= 1 ? { keys, events } : undefined;
}

/** The ordering key of lane k. */
export const orderingKeyOf = (key: number): string => `k${key}`;

/** Event `seq` of lane `key`: `<prefix>-k<key>-<seq>`. */
export const orderedEventId = (prefix: string, key: number, seq: number): string => `${prefix}-${orderingKeyOf(key)}-${seq}`;

/** Lane and seq of a receiver key (`<prefix>-k<key>-<seq>`, with the receiver's `@<subscription>` suffix or not). */
export function parseOrderedEventId(id: string): { key: number; seq: number } | undefined {
  const match = /-k(\d+)-(\d+)(@[A-Za-z0-9_-]+)?$/.exec(id);
  return match ? { key: Number(match[1]), seq: Number(match[2]) } : undefined;
}

/** Every request the receiver got for one event: [arrived (request headers in), answered (its 2xx sent)], in ms. */
export interface OrderedReceipt {
  key: number;
  seq: number;
  requests: Array<[number, number]>;
}

export interface OrderCheck {
  expected: number;
  /** Events received at least once. */
  delivered: number;
  lost: number;
  /** Requests beyond the first, per event. */
  duplicates: number;
  /**
   * Pairs of consecutive received events of one lane (n-1, n) where n's first request arrived before n-1's first
   * request, or before n-1's first 2xx was sent.
   */
  violations: number;
  /** Lanes with at least one violation. */
  lanesWithViolations: number;
  /** Up to five violations, described. */
  examples: string[];
}

/**
 * Per lane, in seq order: each event must be received, once, and its first request may arrive only after the
 * previous received event's first request was answered with a 2xx (the receiver answers every request with 200). A
 * lost event is counted as lost, and the next received one is compared with the one before the gap.
 */
export function checkOrder(receipts: OrderedReceipt[], plan: { keys: number; events: number }): OrderCheck {
  const byEvent = new Map<string, Array<[number, number]>>();
  for (const r of receipts) byEvent.set(`${r.key}/${r.seq}`, [...(byEvent.get(`${r.key}/${r.seq}`) ?? []), ...r.requests]);
  const result: OrderCheck = {
    expected: plan.keys * plan.events,
    delivered: 0,
    lost: 0,
    duplicates: 0,
    violations: 0,
    lanesWithViolations: 0,
    examples: [],
  };
  for (let key = 0; key < plan.keys; key += 1) {
    let previous: { seq: number; arrived: number; answered: number } | undefined;
    let laneViolated = false;
    for (let seq = 0; seq < plan.events; seq += 1) {
      const requests = byEvent.get(`${key}/${seq}`) ?? [];
      if (requests.length === 0) {
        result.lost += 1;
        continue;
      }
      result.delivered += 1;
      result.duplicates += requests.length - 1;
      const arrived = Math.min(...requests.map(([at]) => at));
      const answered = Math.min(...requests.map(([, at]) => at));
      if (previous && (arrived < previous.arrived || arrived < previous.answered)) {
        result.violations += 1;
        laneViolated = true;
        if (result.examples.length < 5)
          result.examples.push(
            arrived < previous.arrived
              ? `${orderingKeyOf(key)}: event ${seq} arrived ${(previous.arrived - arrived).toFixed(1)} ms before event ${previous.seq}`
              : `${orderingKeyOf(key)}: event ${seq} arrived ${(previous.answered - arrived).toFixed(1)} ms before event ${previous.seq}'s 2xx`,
          );
      }
      previous = { seq, arrived, answered };
    }
    if (laneViolated) result.lanesWithViolations += 1;
  }
  return result;
}

/** Events per second from the first publish to the last receipt; 0 when nothing was received. */
export function drainRate(delivered: number, firstPublishAt: number, lastReceiptAt: number): number {
  const ms = lastReceiptAt - firstPublishAt;
  return delivered > 0 && ms > 0 ? (delivered * 1000) / ms : 0;
}

/** The ordered drain rate as a share of the unordered sustained rate; NaN when either is unknown (or the unordered 0). */
export function orderedShare(orderedRate: number, unorderedRate: number): number {
  return Number.isFinite(orderedRate) && Number.isFinite(unorderedRate) && orderedRate >= 0 && unorderedRate > 0
    ? orderedRate / unorderedRate
    : Number.NaN;
}

/** The publish order: every lane's event 0, then every lane's event 1, ... */
export function interleaved(plan: { keys: number; events: number }): Array<{ key: number; seq: number }> {
  const out: Array<{ key: number; seq: number }> = [];
  for (let seq = 0; seq < plan.events; seq += 1) for (let key = 0; key < plan.keys; key += 1) out.push({ key, seq });
  return out;
}

/** Up to `count` (lane, seq) pairs spread over the lanes and over the seqs (seq 0, which waits for nothing, included). */
export function historySamplePoints(plan: { keys: number; events: number }, count: number): Array<{ key: number; seq: number }> {
  const total = plan.keys * plan.events;
  const n = Math.min(count, total);
  const out: Array<{ key: number; seq: number }> = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i += 1) {
    const key = Math.floor((i * plan.keys) / n);
    const seq = i % plan.events;
    if (seen.has(`${key}/${seq}`)) continue;
    seen.add(`${key}/${seq}`);
    out.push({ key, seq });
  }
  return out;
}
