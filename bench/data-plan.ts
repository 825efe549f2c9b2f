/**
 * What `npm run bench:data` loads, decided before anything touches the database: its options, the days and how many
 * rows each gets, the two fill stages, and the subscriptions with their share of failures. Pure: unit-tested.
 */

export interface DataOptions {
  /** Deliveries loaded (one event each). */
  readonly deliveries: number;
  /** Days they are spread over, ending today (UTC). */
  readonly days: number;
  /** Subscriptions sharing the deliveries evenly (each gets 1/subscriptions of them). */
  readonly subscriptions: number;
  /** Runs of each read after its warm-up; the median is reported. */
  readonly reps: number;
  /** Concurrent loops of the engine's insert path. */
  readonly writers: number;
  /** Length of each insert window, in ms (the baseline, then the one the retirement runs in). */
  readonly windowMs: number;
  /** Write the section of docs/benchmarks.md. */
  readonly docs: boolean;
  /** Print the plan of every read at full volume (without it, only of the reads slower than EXPLAIN_ABOVE_MS). */
  readonly explain: boolean;
}

/** Reads slower than this at full volume get their plans printed (EXPLAIN ANALYZE). */
export const EXPLAIN_ABOVE_MS = 20;

export const DEFAULT_OPTIONS: DataOptions = {
  deliveries: 5_000_000,
  days: 30,
  subscriptions: 100,
  reps: 30,
  writers: 4,
  windowMs: 10_000,
  docs: true,
  explain: false,
};

/** A whole count as `300000`, `300_000`, `300k` or `5M` (NaN for anything else). */
export function parseCount(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.replaceAll('_', '').replaceAll(',', ''));
  if (!match) return Number.NaN;
  const scale = match[2] === '' ? 1 : match[2]?.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  // 1.1 * 1000 is 1100.0000000000002 in floating point: close enough to a whole number is one; 0.5 is not.
  const n = Number(match[1]) * scale;
  return Math.abs(n - Math.round(n)) < 1e-6 ? Math.round(n) : Number.NaN;
}

/** Parses the script's arguments; throws on an unknown or out-of-range one. */
export function parseDataOptions(argv: readonly string[]): DataOptions {
  const options: { -readonly [K in keyof DataOptions]: DataOptions[K] } = { ...DEFAULT_OPTIONS };
  const whole = (name: string, value: string, min: number, max: number): number => {
    const n = parseCount(value);
    if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  for (const arg of argv) {
    const [name, value] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(2, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, ''];
    if (name === '--no-docs') options.docs = false;
    else if (name === '--explain') options.explain = true;
    else if (name === 'deliveries') options.deliveries = whole(name, value, 1_000, 100_000_000);
    // Two days at least: the oldest one must have ended for retention to retire it.
    else if (name === 'days') options.days = whole(name, value, 2, 365);
    // The healthy one, the failing one and one for the insert path at least.
    else if (name === 'subscriptions') options.subscriptions = whole(name, value, 3, 10_000);
    else if (name === 'reps') options.reps = whole(name, value, 1, 1_000);
    else if (name === 'writers') options.writers = whole(name, value, 1, 32);
    else if (name === 'window') options.windowMs = whole(name, value, 2, 600) * 1000;
    else
      throw new Error(
        `unknown option ${arg} (--deliveries=N --days=D --subscriptions=S --reps=R --writers=W --window=<seconds> --explain --no-docs)`,
      );
  }
  return options;
}

export interface DayPlan {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly start: Date;
  /** The rows are spread evenly over [start, start + spanMs): the whole day, or today up to now. */
  readonly spanMs: number;
  readonly rows: number;
  /** Sequence number of the day's first row; a row's is firstSeq + its position in the day. */
  readonly firstSeq: number;
}

const DAY_MS = 86_400_000;

/**
 * `days` days ending with `now`'s, the rows in proportion to each day's span (today's is what has passed of it), so
 * the load arrives at one steady rate; the counts add up to `deliveries` exactly.
 */
export function planDays(deliveries: number, days: number, now: Date): DayPlan[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const starts = Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_MS);
  const spans = starts.map((start) => Math.max(1, Math.min(DAY_MS, now.getTime() - start)));
  const total = spans.reduce((a, b) => a + b, 0);
  const plans: DayPlan[] = [];
  let covered = 0;
  let assigned = 0;
  starts.forEach((start, i) => {
    covered += spans[i] as number;
    const upTo = Math.round((deliveries * covered) / total);
    plans.push({
      day: new Date(start).toISOString().slice(0, 10),
      start: new Date(start),
      spanMs: spans[i] as number,
      rows: upTo - assigned,
      firstSeq: assigned,
    });
    assigned = upTo;
  });
  return plans;
}

/** Stage 1 loads every tenth position of each day (a tenth of the volume over the same days), stage 2 the rest. */
export type FillStage = 1 | 2;

/** Rows a stage inserts of a day of `rows` positions. */
export function stageRows(rows: number, stage: FillStage): number {
  const tenth = Math.ceil(rows / 10);
  return stage === 1 ? tenth : rows - tenth;
}

export interface SubscriptionPlan {
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
  /** Share of its deliveries that end FAILURE, per million. */
  readonly failurePerMillion: number;
  readonly role: 'healthy' | 'failing' | 'other';
}

/**
 * `count` subscriptions over `accounts` accounts sharing the deliveries evenly (1/count each): the first is the healthy
 * one (1 failure in 2,000), the second the failing one (half its deliveries fail), the others fail 3 in 100.
 */
export function planSubscriptions(count: number, accounts: number, newId: () => string): SubscriptionPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const role = i === 0 ? 'healthy' : i === 1 ? 'failing' : 'other';
    return {
      id: newId(),
      name: role === 'other' ? `endpoint-${i}` : role,
      accountId: `acct_bench_${(i % accounts) + 1}`,
      failurePerMillion: role === 'healthy' ? 500 : role === 'failing' ? 500_000 : 30_000,
      role,
    };
  });
}
