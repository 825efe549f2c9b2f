/**
 * The engine's insert path beside a retention run: `writers` loops each storing an event and making its delivery
 * the way a worker does (store, beginAttempt, recordAttempt: the statements of one delivery that succeeds at once),
 * for a baseline window and then a second one in which the oldest days are retired one at a time, evenly spaced (one
 * 2-second window on a 2-core machine is noisy: the result is the retirement with the median drop, all are shown).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { createDeliveryRepository } from '../src/deliveries/delivery.repository';
import type { EventEnvelope } from '../src/events/envelope';
import { createEventRepository } from '../src/events/event.repository';
import { retireExpiredDays } from '../src/retention/partitions';
import { countIn, longestGap, retirementWindow, windowRate, type InsertPathResult, type RetirementResult } from './data-report';
import type { Subject } from './data-reads';

/** Not measured: the loops' connections open and prepare their statements. */
const WARM_UP_MS = 1_000;
const PARENTS = ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface InsertPathOptions {
  readonly writers: number;
  readonly windowMs: number;
  /** The days retired (YYYY-MM-DD), oldest first: the oldest loaded, ended before now. */
  readonly days: readonly string[];
  readonly runTag: string;
}

export async function runInsertPath(dataSource: DataSource, subject: Subject, options: InsertPathOptions): Promise<InsertPathResult> {
  const events = createEventRepository(dataSource);
  const deliveries = createDeliveryRepository(dataSource);
  const completions: number[] = [];
  /** Failed deliveries by SQLSTATE (or message); the loops go on, as a worker's next activity attempt would. */
  const errors = new Map<string, number>();
  let stopped = false;
  let fatal: unknown;

  const deliverOne = async (eventId: string) => {
    const envelope: EventEnvelope = {
      id: eventId,
      type: 'NEW_MESSAGE_FROM_VISITOR',
      accountId: subject.accountId,
      occurredAt: new Date().toISOString(),
      data: { conversationId: `conv_${eventId}`, messageId: `msg_${eventId}`, channel: 'web', text: 'Where is my order? '.repeat(40) },
    };
    await events.store(envelope, JSON.stringify(envelope));
    const runId = randomUUID();
    const token = randomUUID();
    const begun = await deliveries.beginAttempt(
      {
        eventId,
        subscriptionId: subject.id,
        accountId: subject.accountId,
        eventType: envelope.type,
        workflowId: `delivery:${eventId}:${subject.id}`,
      },
      { runId, activityAttempt: 1, token, forMs: 60_000 },
    );
    // The common path: claimed, and the attempt's row written in flight by the same statement.
    if (begun.claim.state !== 'claimed' || begun.openedAttempt === null) {
      throw new Error(`beginAttempt did not open the attempt (claim ${begun.claim.state}, opened ${String(begun.openedAttempt)})`);
    }
    await deliveries.recordAttempt(
      begun.deliveryId,
      {
        claimToken: token,
        runId,
        activityAttempt: 1,
        startedAt: new Date(),
        durationMs: 25,
        statusCode: 200,
        error: null,
        responseBody: '{"received":true}',
      },
      { succeeded: true },
    );
  };

  const loop = async (writer: number) => {
    for (let i = 0; !stopped; i += 1) {
      try {
        await deliverOne(`live_${options.runTag}_${writer}_${i}`);
        completions.push(performance.now());
      } catch (error) {
        const key = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
        errors.set(key, (errors.get(key) ?? 0) + 1);
        // Failing from the start means the setup is wrong, not the load: no point going on.
        if (completions.length === 0) {
          fatal ??= error;
          stopped = true;
        }
      }
    }
  };

  const deadlocksBefore = await deadlocks(dataSource);
  const started = performance.now();
  const loops = Array.from({ length: options.writers }, (_, w) => loop(w));
  const baselineFrom = started + WARM_UP_MS;
  const baselineTo = baselineFrom + options.windowMs;
  const retirements: Array<Omit<RetirementResult, 'deadlocks'> & { fromMs: number; toMs: number }> = [];
  try {
    for (const [i, day] of options.days.entries()) {
      // Evenly through the second window, unless the loops could not make a single delivery.
      const at = baselineTo + (options.windowMs * (i + 1)) / (options.days.length + 1);
      while (fatal === undefined && performance.now() < at) await sleep(50);
      if (fatal !== undefined) break;
      const before = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
      const fromMs = performance.now();
      const outcome = await retireExpiredDays(dataSource, before, { maxDays: 1 });
      const toMs = performance.now();
      retirements.push({
        day,
        ms: toMs - fromMs,
        outcome: outcome.retired.includes(day) ? 'retired' : outcome.kept.length > 0 ? 'kept' : outcome.busy.length > 0 ? 'busy' : 'none',
        gone: await partitionsGone(dataSource, day),
        fromMs,
        toMs,
      });
    }
    await sleep(Math.max(baselineTo + options.windowMs, (retirements.at(-1)?.toMs ?? 0) + 1_000) - performance.now());
  } finally {
    stopped = true;
    await Promise.all(loops);
  }
  if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(`the insert loops failed: ${JSON.stringify(fatal)}`);
  // A backend reports its counters within a second of going idle.
  await sleep(1_200);
  const deadlocksSeen = (await deadlocks(dataSource)) - deadlocksBefore;
  const baseline = { fromMs: baselineFrom, toMs: baselineTo, completed: countIn(completions, baselineFrom, baselineTo) };
  const judged = retirements.map((r) => {
    const window = retirementWindow(r.fromMs, r.toMs);
    const around = { ...window, completed: countIn(completions, window.fromMs, window.toMs) };
    return {
      around,
      gap: longestGap(completions, window.fromMs, window.toMs),
      retirement: { day: r.day, ms: r.ms, outcome: r.outcome, gone: r.gone, deadlocks: deadlocksSeen },
    };
  });
  const drop = (j: (typeof judged)[number]) => 1 - windowRate(j.around) / windowRate(baseline);
  const byDrop = [...judged].sort((a, b) => drop(a) - drop(b));
  const median = byDrop[Math.floor((byDrop.length - 1) / 2)];
  const none = { day: options.days[0] ?? '-', ms: Number.NaN, outcome: 'none' as const, gone: false, deadlocks: deadlocksSeen };
  return {
    writers: options.writers,
    baseline,
    around: median?.around ?? { fromMs: 0, toMs: 0, completed: 0 },
    longestGapMs: { baseline: longestGap(completions, baselineFrom, baselineTo), around: median?.gap ?? Number.NaN },
    retirement: median?.retirement ?? none,
    all: judged.map((j) => ({ ...j.retirement, around: j.around })),
    errors: Object.fromEntries(errors),
  };
}

async function deadlocks(dataSource: DataSource): Promise<number> {
  const rows = (await dataSource.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`)) as Array<{
    deadlocks: string;
  }>;
  return Number(rows[0]?.deadlocks ?? 0);
}

async function partitionsGone(dataSource: DataSource, day: string): Promise<boolean> {
  const suffix = `_p${day.replaceAll('-', '')}`;
  const rows = (await dataSource.query(`SELECT count(to_regclass(name))::int AS n FROM unnest($1::text[]) AS name`, [
    PARENTS.map((parent) => `${parent}${suffix}`),
  ])) as Array<{ n: number }>;
  return rows[0]?.n === 0;
}
