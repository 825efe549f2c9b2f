/**
 * The engine's insert path beside a retention run: `writers` loops each storing an event and making its delivery
 * the way a worker does (store, beginAttempt, recordAttempt: the statements of one delivery that succeeds at once),
 * for a baseline window and then a second one in the middle of which the oldest day is retired.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { createDeliveryRepository } from '../src/deliveries/delivery.repository';
import type { EventEnvelope } from '../src/events/envelope';
import { createEventRepository } from '../src/events/event.repository';
import { retireExpiredDays } from '../src/retention/partitions';
import { countIn, longestGap, retirementWindow, type InsertPathResult } from './data-report';
import type { Subject } from './data-reads';

/** Not measured: the loops' connections open and prepare their statements. */
const WARM_UP_MS = 1_000;
const PARENTS = ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface InsertPathOptions {
  readonly writers: number;
  readonly windowMs: number;
  /** The day retired (YYYY-MM-DD): the oldest loaded, ended before now. */
  readonly day: string;
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
  let retirement: Omit<InsertPathResult['retirement'], 'deadlocks'> = { day: options.day, ms: Number.NaN, outcome: 'none', gone: false };
  let retiredFrom = Number.NaN;
  let retiredTo = Number.NaN;
  try {
    // Until the middle of the second window, unless the loops could not make a single delivery.
    while (fatal === undefined && performance.now() < baselineTo + options.windowMs / 2) await sleep(100);
    if (fatal === undefined) {
      const before = new Date(Date.parse(`${options.day}T00:00:00Z`) + 86_400_000);
      retiredFrom = performance.now();
      const outcome = await retireExpiredDays(dataSource, before, { maxDays: 1 });
      retiredTo = performance.now();
      retirement = {
        day: options.day,
        ms: retiredTo - retiredFrom,
        outcome: outcome.retired.includes(options.day)
          ? 'retired'
          : outcome.kept.length > 0
            ? 'kept'
            : outcome.busy.length > 0
              ? 'busy'
              : 'none',
        gone: await partitionsGone(dataSource, options.day),
      };
    }
    await sleep(Math.max(baselineTo + options.windowMs, retiredTo + 1_000) - performance.now());
  } finally {
    stopped = true;
    await Promise.all(loops);
  }
  if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(`the insert loops failed: ${JSON.stringify(fatal)}`);
  // A backend reports its counters within a second of going idle.
  await sleep(1_200);
  const around = retirementWindow(retiredFrom, retiredTo);
  return {
    writers: options.writers,
    baseline: { fromMs: baselineFrom, toMs: baselineTo, completed: countIn(completions, baselineFrom, baselineTo) },
    around: { ...around, completed: countIn(completions, around.fromMs, around.toMs) },
    longestGapMs: {
      baseline: longestGap(completions, baselineFrom, baselineTo),
      around: longestGap(completions, around.fromMs, around.toMs),
    },
    retirement: { ...retirement, deadlocks: (await deadlocks(dataSource)) - deadlocksBefore },
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
