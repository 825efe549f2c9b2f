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

/**
 * The days that have partitions (attached or not: a day whose retirement stopped half way is listed too), oldest first.
 */
export async function listDays(dataSource: Pick<DataSource | QueryRunner, 'query'>): Promise<string[]> {
  const rows = (await dataSource.query(
    `SELECT c.relname AS name FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
        AND c.relname ~ '^(webhook_events|webhook_deliveries|webhook_delivery_attempts)_p[0-9]{8}$'`,
  )) as Array<{ name: string }>;
  const days = new Set(rows.map((row) => dayOfPartition(row.name)).filter((day): day is string => day !== null));
  return [...days].sort();
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
  /** How long one detach may wait for the transactions that still see the day (default 10 s; the next run goes on). */
  readonly lockTimeoutMs?: number;
  /** At most this many days per call (default: all). */
  readonly maxDays?: number;
}

/**
 * Retires every day that ended before `before`, unless the day still holds a PENDING delivery or an undispatched
 * event. Writers never wait for it: each of the day's partitions is detached CONCURRENTLY (SHARE UPDATE EXCLUSIVE on
 * the parent; the detach waits for the transactions that still see the partition, not the other way round), checked
 * again once detached (a delivery of the day re-sent between the first check and the detach puts the day back), and
 * dropped as a table of its own. A detach left half done (its session died) is finished first.
 */
export async function retireExpiredDays(dataSource: DataSource, before: Date, options: RetireOptions = {}): Promise<RetireOutcome> {
  const runner = dataSource.createQueryRunner();
  const outcome: { retired: string[]; kept: KeptDay[]; busy: string[] } = { retired: [], kept: [], busy: [] };
  try {
    await runner.connect();
    await runner.query(`SET lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs ?? 10_000))}`);
    await finishHalfDoneDetaches(runner);
    const days = expiredDays(await listDays(runner), before).slice(0, options.maxDays ?? Number.MAX_SAFE_INTEGER);
    for (const day of days) {
      try {
        const result = await retireDay(runner, day);
        if (result === 'retired') outcome.retired.push(day);
        else outcome.kept.push(result);
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        outcome.busy.push(day);
      }
    }
  } finally {
    await runner.query('RESET lock_timeout').catch(() => undefined);
    await runner.release();
  }
  return outcome;
}

interface DayPartition {
  readonly parent: (typeof PARENTS)[number];
  readonly table: string;
  readonly exists: boolean;
  readonly attached: boolean;
}

async function partitionsOf(runner: QueryRunner, day: string): Promise<DayPartition[]> {
  const tables = PARENTS.map((parent) => `${parent}_p${day.replaceAll('-', '')}`);
  const rows = (await runner.query(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) AS attached
       FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)`,
    [tables],
  )) as Array<{ name: string; attached: boolean }>;
  return PARENTS.map((parent, i) => {
    const row = rows.find((r) => r.name === tables[i]);
    return { parent, table: tables[i], exists: row !== undefined, attached: row?.attached === true };
  });
}

async function dayState(runner: QueryRunner, day: string, partitions: readonly DayPartition[]): Promise<KeptDay> {
  const [events, deliveries] = partitions;
  const [state] = (await runner.query(
    `SELECT ${deliveries.exists ? `(SELECT count(*) FROM ${deliveries.table} WHERE status = 'PENDING')` : '0'}::int AS pending,
            ${events.exists ? `(SELECT count(*) FROM ${events.table} WHERE dispatched_at IS NULL)` : '0'}::int AS undispatched`,
  )) as Array<{ pending: number; undispatched: number }>;
  return { day, pending: state.pending, undispatched: state.undispatched };
}

const isGoingOn = (state: KeptDay) => state.pending > 0 || state.undispatched > 0;

async function retireDay(runner: QueryRunner, day: string): Promise<'retired' | KeptDay> {
  const partitions = await partitionsOf(runner, day);
  const first = await dayState(runner, day, partitions);
  if (isGoingOn(first)) {
    await reattach(runner, day, partitions);
    return first;
  }
  try {
    // Attempts first, events last: a reader never finds an attempt whose delivery or event is gone.
    for (const partition of [...partitions].reverse()) {
      if (partition.attached) await runner.query(`ALTER TABLE ${partition.parent} DETACH PARTITION ${partition.table} CONCURRENTLY`);
    }
    const again = await dayState(runner, day, partitions);
    if (isGoingOn(again)) {
      await reattach(runner, day, await partitionsOf(runner, day));
      return again;
    }
    const existing = partitions.filter((p) => p.exists).map((p) => p.table);
    if (existing.length > 0) await runner.query(`DROP TABLE ${existing.join(', ')}`);
    return 'retired';
  } catch (error) {
    // What was detached is put back (a detach left pending is finished by the next run first): the day stays whole.
    await reattach(runner, day, await partitionsOf(runner, day)).catch(() => undefined);
    throw error;
  }
}

/** Attaches again the day's partitions that exist but are not attached. */
async function reattach(runner: QueryRunner, day: string, partitions: readonly DayPartition[]): Promise<void> {
  const from = `${day}T00:00:00Z`;
  const to = new Date(Date.parse(from) + DAY_MS).toISOString();
  for (const partition of partitions) {
    if (!partition.exists || partition.attached) continue;
    await runner.query(`ALTER TABLE ${partition.parent} ATTACH PARTITION ${partition.table} FOR VALUES FROM ('${from}') TO ('${to}')`);
  }
}

async function finishHalfDoneDetaches(runner: QueryRunner): Promise<void> {
  const rows = (await runner.query(
    `SELECT p.relname AS parent, c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE i.inhdetachpending AND p.relname = ANY($1)`,
    [[...PARENTS]],
  )) as Array<{ parent: string; name: string }>;
  for (const row of rows) await runner.query(`ALTER TABLE ${row.parent} DETACH PARTITION ${row.name} FINALIZE`);
}
