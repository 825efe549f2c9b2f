/**
 * The delivery log's day partitions (migration 1765700000000-day-partitions): events, deliveries and attempts of the
 * events received on one UTC day live in `<table>_pYYYYMMDD`. Retention creates days ahead and retires a day whose
 * end has passed the window by dropping its three partitions: milliseconds and no WAL for the rows, whatever the
 * volume. A day that still holds a PENDING delivery or an event not yet dispatched is kept, whole, until they end
 * (its deliveries may still be sent, retried and recorded); the next run retires it.
 */
import type { DataSource, QueryRunner } from 'typeorm';
import { isLockTimeout } from '../db/db-errors';

/** Days created ahead of today (the migration creates the same horizon). */
export const DAYS_AHEAD = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
const PARENTS = ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'] as const;

/** The UTC day of an instant, as YYYY-MM-DD. */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** The day a partition is named after (`webhook_deliveries_p20261206` -> 2026-12-06), or null for another name. */
export function dayOfPartition(name: string): string | null {
  const match = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : null;
}

/**
 * The days whose whole range ended before `before`: [day, day + 1) <= before. Pure.
 */
export function expiredDays(days: readonly string[], before: Date): string[] {
  return days.filter((day) => Date.parse(`${day}T00:00:00Z`) + DAY_MS <= before.getTime()).sort();
}

/** Creates the partitions of `count` days from `from`'s day on (those missing); returns how many tables were made. */
export async function ensureDayPartitions(dataSource: Pick<DataSource, 'query'>, from: Date, count: number): Promise<number> {
  const rows = (await dataSource.query(
    `SELECT COALESCE(sum(webhooks_create_day_partition(($1::date + d)::date)), 0)::int AS created FROM generate_series(0, $2 - 1) AS d`,
    [dayOf(from), count],
  )) as Array<{ created: number }>;
  return rows[0]?.created ?? 0;
}

/** The days that have a deliveries partition, oldest first. */
export async function listDays(dataSource: Pick<DataSource, 'query'>): Promise<string[]> {
  const rows = (await dataSource.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'webhook_deliveries'::regclass`,
  )) as Array<{ name: string }>;
  return rows
    .map((row) => dayOfPartition(row.name))
    .filter((day): day is string => day !== null)
    .sort();
}

export interface KeptDay {
  readonly day: string;
  /** Deliveries of the day still PENDING. */
  readonly pending: number;
  /** Events of the day no workflow start has been confirmed for. */
  readonly undispatched: number;
}

export interface RetireOutcome {
  /** Days whose partitions were dropped. */
  readonly retired: string[];
  /** Expired days kept because something of them is still going on. */
  readonly kept: KeptDay[];
  /** Expired days skipped because their locks were not granted in time (the next run takes them). */
  readonly busy: string[];
}

export interface RetireOptions {
  /** How long a retirement waits for the tables' locks before leaving the day to the next run (default 500 ms). */
  readonly lockTimeoutMs?: number;
  /** At most this many days per call (default: all). */
  readonly maxDays?: number;
}

/**
 * Drops the partitions of every day that ended before `before`, unless the day still holds a PENDING delivery or an
 * undispatched event. Each day is one short transaction: the three parents locked ACCESS EXCLUSIVE (in one order, with
 * a lock timeout: writers queue for milliseconds, never deadlock with it), the day checked under that lock (nothing
 * can turn it PENDING meanwhile), its partitions dropped.
 */
export async function retireExpiredDays(dataSource: DataSource, before: Date, options: RetireOptions = {}): Promise<RetireOutcome> {
  const days = expiredDays(await listDays(dataSource), before).slice(0, options.maxDays ?? Number.MAX_SAFE_INTEGER);
  const outcome: { retired: string[]; kept: KeptDay[]; busy: string[] } = { retired: [], kept: [], busy: [] };
  for (const day of days) {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.connect();
      const result = await retireDay(runner, day, options.lockTimeoutMs ?? 500);
      if (result === 'retired') outcome.retired.push(day);
      else if (result === 'busy') outcome.busy.push(day);
      else outcome.kept.push(result);
    } finally {
      await runner.release();
    }
  }
  return outcome;
}

async function retireDay(runner: QueryRunner, day: string, lockTimeoutMs: number): Promise<'retired' | 'busy' | KeptDay> {
  const suffix = `_p${day.replaceAll('-', '')}`;
  await runner.startTransaction();
  try {
    await runner.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    await runner.query(`LOCK TABLE ${PARENTS.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    const [state] = (await runner.query(
      `SELECT (SELECT count(*) FROM webhook_deliveries${suffix} WHERE status = 'PENDING')::int AS pending,
              (SELECT count(*) FROM webhook_events${suffix} WHERE dispatched_at IS NULL)::int AS undispatched`,
    )) as Array<{ pending: number; undispatched: number }>;
    if (state.pending > 0 || state.undispatched > 0) {
      await runner.rollbackTransaction();
      return { day, pending: state.pending, undispatched: state.undispatched };
    }
    await runner.query(`DROP TABLE ${PARENTS.map((parent) => `${parent}${suffix}`).join(', ')}`);
    await runner.commitTransaction();
    return 'retired';
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    if (isLockTimeout(error)) return 'busy';
    throw error;
  }
}
