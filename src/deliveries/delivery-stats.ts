/**
 * The endpoint page's chart: a subscription's deliveries counted by outcome in equal time buckets over the last
 * 24 hours (hourly) or 7 days (6-hourly). The window ends at the end of the current bucket, so buckets start on
 * whole hours (UTC) and the newest one holds what happened since its start.
 */
import { DeliveryStatus } from './delivery.entity';

export const STATS_WINDOWS = {
  '24h': { buckets: 24, bucketSeconds: 3_600 },
  '7d': { buckets: 28, bucketSeconds: 6 * 3_600 },
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS;

export interface StatsRange {
  from: Date;
  to: Date;
  bucketSeconds: number;
  buckets: number;
}

export type OutcomeCounts = Record<DeliveryStatus, number>;

export interface StatsBucket {
  start: string;
  counts: OutcomeCounts;
}

/** [from, to) for the window ending with the bucket that holds `now`. */
export function statsRange(window: StatsWindow, now: Date): StatsRange {
  const { buckets, bucketSeconds } = STATS_WINDOWS[window];
  const size = bucketSeconds * 1000;
  const to = new Date((Math.floor(now.getTime() / size) + 1) * size);
  return { from: new Date(to.getTime() - buckets * size), to, bucketSeconds, buckets };
}

const noCounts = (): OutcomeCounts => ({ [DeliveryStatus.SUCCESS]: 0, [DeliveryStatus.FAILURE]: 0, [DeliveryStatus.PENDING]: 0 });

/** Every bucket of the range, oldest first, zero where no row counted. */
export function fillBuckets(range: StatsRange, rows: readonly { bucket: number; status: string; count: number }[]) {
  const buckets: StatsBucket[] = Array.from({ length: range.buckets }, (_, i) => ({
    start: new Date(range.from.getTime() + i * range.bucketSeconds * 1000).toISOString(),
    counts: noCounts(),
  }));
  const totals = noCounts();
  for (const row of rows) {
    const bucket = buckets[row.bucket];
    if (!bucket || !Object.hasOwn(totals, row.status)) continue;
    bucket.counts[row.status as DeliveryStatus] += row.count;
    totals[row.status as DeliveryStatus] += row.count;
  }
  return { buckets, totals };
}
