/**
 * Pure helpers of the benchmark: percentiles, per-step verdicts, /proc parsing and CPU arithmetic.
 * No I/O here, so every rule the report relies on has a unit test (test/unit/bench-stats.test.ts).
 */

/** The nearest-rank percentile (p in 0..100) of ascending values; NaN for an empty list. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  if (p <= 0) return sortedAscending[0] as number;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1] as number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** One published event as the receiver saw it: when it was due, and when each copy arrived. */
export interface EventReceipt {
  scheduledAt: number;
  /** Receipt times in ms since the epoch, one per copy received (empty when lost). */
  receivedAt: readonly number[];
}

export interface StepOutcome {
  published: number;
  delivered: number;
  lost: number;
  duplicates: number;
  latency: LatencySummary;
  /** Deliveries per second over the publishing window (first due time to last due time + one interval). */
  offeredRate: number;
  /** Distinct deliveries per second between the first due time and the last first-receipt. */
  achievedRate: number;
  /** Events due but not yet received at the moment publishing ended: a queue that kept growing shows here. */
  backlogAtEnd: number;
}

/**
 * Summarises one phase. Latency counts from the scheduled send time (open loop), so time spent queued in the
 * publisher, the transport or the system under test is included.
 */
export function summarizeStep(receipts: readonly EventReceipt[], publishEndedAt: number): StepOutcome {
  const latencies: number[] = [];
  let lost = 0;
  let duplicates = 0;
  let firstDue = Number.POSITIVE_INFINITY;
  let lastDue = Number.NEGATIVE_INFINITY;
  let lastReceipt = Number.NEGATIVE_INFINITY;
  let backlogAtEnd = 0;
  for (const receipt of receipts) {
    firstDue = Math.min(firstDue, receipt.scheduledAt);
    lastDue = Math.max(lastDue, receipt.scheduledAt);
    if (receipt.receivedAt.length === 0) {
      lost += 1;
      backlogAtEnd += 1;
      continue;
    }
    const first = Math.min(...receipt.receivedAt);
    duplicates += receipt.receivedAt.length - 1;
    latencies.push(first - receipt.scheduledAt);
    lastReceipt = Math.max(lastReceipt, first);
    if (first > publishEndedAt) backlogAtEnd += 1;
  }
  const published = receipts.length;
  const delivered = published - lost;
  const interval = published > 1 ? (lastDue - firstDue) / (published - 1) : 0;
  const window = lastDue - firstDue + interval;
  const offeredRate = window > 0 ? (published / window) * 1000 : 0;
  const span = lastReceipt - firstDue;
  const achievedRate = delivered > 0 && span > 0 ? (delivered / span) * 1000 : 0;
  return { published, delivered, lost, duplicates, latency: summarizeLatencies(latencies), offeredRate, achievedRate, backlogAtEnd };
}

export const P99_LIMIT_MS = 1000;

/**
 * A rate is sustained when nothing is lost or duplicated, p99 stays under a second, and the system keeps up:
 * at the end of publishing, at most one second's worth of events is still in flight.
 */
export function isSustained(outcome: StepOutcome, limitMs = P99_LIMIT_MS): boolean {
  if (outcome.published === 0 || outcome.lost > 0 || outcome.duplicates > 0) return false;
  if (!(outcome.latency.p99 < limitMs)) return false;
  return outcome.backlogAtEnd <= Math.max(1, outcome.offeredRate * (limitMs / 1000));
}

/** The highest offered rate whose step was sustained (0 when none was). */
export function sustainedRate(steps: ReadonlyArray<{ rate: number; outcome: StepOutcome }>): number {
  return steps.filter((s) => isSustained(s.outcome)).reduce((best, s) => Math.max(best, s.rate), 0);
}

/** Fields of /proc/<pid>/stat that the benchmark reads (CPU times in clock ticks). */
export interface ProcStat {
  pid: number;
  comm: string;
  utime: number;
  stime: number;
  /** CPU of children that exited and were waited for (Postgres backends fold into the postmaster here). */
  cutime: number;
  cstime: number;
  ppid: number;
}

/** Parses /proc/<pid>/stat. The command name may contain spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('not a /proc/<pid>/stat line');
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields after the name start at field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  return { pid, comm, ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/** A `VmHWM:` or `VmRSS:` value of /proc/<pid>/status in kB (undefined when absent, e.g. a kernel thread). */
export function parseStatusKb(text: string, key: 'VmHWM' | 'VmRSS'): number | undefined {
  const match = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * CPU ticks used between two snapshots of cumulative per-pid counters. A pid present only in `after` started
 * during the window and counts from zero; a pid present only in `before` is gone (its last sample is final).
 */
export function cpuTicksBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += Math.max(0, ticks - (before.get(pid) ?? 0));
  return total;
}

/** CPU seconds per 1000 deliveries. */
export function cpuPerThousand(cpuSeconds: number, deliveries: number): number {
  return deliveries > 0 ? (cpuSeconds / deliveries) * 1000 : Number.NaN;
}

/** A ratio for the summary line, two decimals; `n/a` when the denominator is zero or missing. */
export function formatRatio(numerator: number, denominator: number): string {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return 'n/a';
  return (numerator / denominator).toFixed(2);
}

/**
 * Where the saturation ramp starts: one step above the highest fixed rate that was sustained, so the ramp
 * narrows down the limit of a slow system as well as a fast one; one step below the lowest fixed rate when
 * none was sustained.
 */
export function rampStart(fixed: ReadonlyArray<{ rate: number; sustained: boolean }>, factor: number): number {
  const sustained = fixed.filter((f) => f.sustained).map((f) => f.rate);
  if (sustained.length > 0) return Math.max(...sustained) * factor;
  return Math.min(...fixed.map((f) => f.rate)) / factor;
}

/**
 * The next refinement step between the highest sustained rate and the lowest failed one: their geometric middle,
 * rounded; undefined when no whole rate lies strictly between them (nothing left to refine).
 */
export function refineRate(sustained: number, failed: number): number | undefined {
  if (!(sustained > 0) || !(failed > sustained)) return undefined;
  const middle = Math.round(Math.sqrt(sustained * failed));
  return middle > sustained && middle < failed ? middle : undefined;
}

/** Offered rates of the saturation ramp: geometric steps from `start`, at most `count` of them. */
export function rampRates(start: number, factor: number, count: number): number[] {
  const rates: number[] = [];
  let rate = start;
  for (let i = 0; i < count; i += 1) {
    rates.push(Math.round(rate));
    rate *= factor;
  }
  return rates;
}
