/**
 * The ordered phase: what order costs. On the engine's own processes, after its measured phases, one account with
 * one subscription with `ordered: true` to the receiver (`/hook/o`); K lanes (ordering keys) x E events published at
 * once on the Redis stream the engine's listener reads (order is strict for the stream), interleaved: every lane's
 * event 0, then every lane's event 1, ... Each event carries its `orderingKey` and, in `data.seq`, its place in its
 * lane. Reported: the drain (first publish to last receipt) and its rate, to be set beside the engine's unordered
 * sustained rate of the same run; order violations, lost and duplicates per event (bench/order-check.ts, from the
 * receiver's arrival and 2xx times of every request); and per ordered delivery: history events, workflow tasks,
 * billable actions (a history sample), frontend RPCs, Postgres commits and CPU per process group.
 */
import { randomUUID } from 'node:crypto';
import { createSecretBox } from '../src/crypto/secret-box';
import { sealNewSecret } from '../src/subscriptions/signing-secrets';
import { createSubscriptionRepository } from '../src/subscriptions/subscription.repository';
import { deliveryWorkflowId } from '../src/temporal/contract';
import type { BenchEnvironment, DatabaseCounters } from './environment';
import {
  checkOrder,
  drainRate,
  historySamplePoints,
  interleaved,
  orderedEventId,
  orderingKeyOf,
  parseOrderedEventId,
  type OrderCheck,
  type OrderedPlan,
  type OrderedReceipt,
} from './order-check';
import { waitForReceipts } from './phases';
import { ProcMonitor } from './proc-monitor';
import { benchEnvelope } from './publisher';
import type { ReceiverHandle } from './receiver-client';
import { perDelivery, scrapeTemporalCounters, type TemporalRequests } from './temporal-metrics';
import { sampleHistories, type HistorySample } from './temporal-history';

export interface OrderedResult {
  plan: OrderedPlan;
  /** The stream the events were added to (the engine's listener's WEBHOOKS_REDIS_STREAM for the run). */
  stream: string;
  check: OrderCheck;
  /** First publish to last receipt. */
  drainMs: number;
  ratePerSecond: number;
  badSignatures: number;
  /** Delivery rows recorded SUCCESS for the phase's events. */
  recordedSuccess: number;
  cpuSeconds: Record<string, number>;
  ownGroups: string[];
  /** pg_stat_database of the run's database over the phase (publish to the last receipt and its rows). */
  database: DatabaseCounters;
  history?: HistorySample;
  temporalRequests?: TemporalRequests;
  error?: string;
}

export interface OrderedContext {
  env: BenchEnvironment;
  receiver: ReceiverHandle;
  /** The engine's running monitor (its processes, Temporal's, Postgres backends, redis-server). */
  monitor: ProcMonitor;
  /** The engine's own process groups. */
  ownGroups: string[];
  /** The stream the engine's listener reads. */
  stream: string;
  log: (line: string) => void;
}

const SUBSCRIPTION_PATH = 'o';

const zeroCounters = (): DatabaseCounters => ({ xactCommit: 0, tupInserted: 0, tupUpdated: 0, tupFetched: 0 });

function countersBetween(before: DatabaseCounters, after: DatabaseCounters): DatabaseCounters {
  return {
    xactCommit: after.xactCommit - before.xactCommit,
    tupInserted: after.tupInserted - before.tupInserted,
    tupUpdated: after.tupUpdated - before.tupUpdated,
    tupFetched: after.tupFetched - before.tupFetched,
  };
}

/** One event of a lane, as the stream carries it (`XADD <stream> * event <json>`). */
function orderedEnvelope(id: string, accountId: string, key: number, seq: number, publishedAt: number): string {
  return JSON.stringify({ ...(JSON.parse(benchEnvelope(id, accountId, publishedAt, seq)) as object), orderingKey: orderingKeyOf(key) });
}

export async function runOrdered(context: OrderedContext, plan: OrderedPlan): Promise<OrderedResult> {
  const { env, receiver, monitor, stream, log } = context;
  const expected = plan.keys * plan.events;
  const result: OrderedResult = {
    plan,
    stream,
    check: { expected, delivered: 0, lost: expected, duplicates: 0, violations: 0, lanesWithViolations: 0, examples: [] },
    drainMs: Number.NaN,
    ratePerSecond: 0,
    badSignatures: 0,
    recordedSuccess: 0,
    cpuSeconds: {},
    ownGroups: context.ownGroups,
    database: zeroCounters(),
  };
  log(`\n== ordered: ${plan.keys} keys x ${plan.events} events on one ordered subscription, through the stream ${stream}`);
  try {
    const accountId = `bench-${env.runId}-ordered`;
    const subscriptionId = randomUUID();
    const box = createSecretBox(Buffer.from(env.encryptionKey, 'base64'));
    await createSubscriptionRepository(env.dataSource).insert({
      id: subscriptionId,
      accountId,
      url: new URL(`/hook/${SUBSCRIPTION_PATH}`, receiver.url).toString(),
      events: ['*'],
      description: 'benchmark ordered phase',
      isActive: true,
      ordered: true,
      secrets: [sealNewSecret(box, subscriptionId, env.signingSecret, new Date())],
    });
    const prefix = `${env.runId}-ordered`;

    // Ready when a probe through the stream arrives (the listener reads the stream, the subscription is seen).
    const deadline = Date.now() + 60_000;
    for (let probe = 0; ; probe += 1) {
      await env.redis.xadd(stream, '*', 'event', benchEnvelope(`${prefix}-probe${probe}`, accountId, Date.now(), 0));
      if ((await waitForReceipts(receiver, `${prefix}-probe`, 1, 2_000)) > 0) break;
      if (Date.now() > deadline) throw new Error(`no probe added to ${stream} was delivered within 60 s`);
    }

    const before = await monitor.snapshot();
    const countersBefore = await scrapeTemporalCounters(env.temporalMetricsUrls);
    const databaseBefore = await env.databaseCounters();
    const startedAt = Date.now();
    const batch = env.redis.pipeline();
    for (const { key, seq } of interleaved(plan))
      batch.xadd(stream, '*', 'event', orderedEnvelope(orderedEventId(prefix, key, seq), accountId, key, seq, startedAt));
    await batch.exec();
    await waitForReceipts(receiver, `${prefix}-k`, expected, plan.drainTimeoutMs);
    const collected = await receiver.collect(`${prefix}-k`, true);
    const after = await monitor.snapshot();
    const countersAfter = await scrapeTemporalCounters(env.temporalMetricsUrls);

    const receipts: OrderedReceipt[] = [];
    for (const [id, , , requests] of collected.events) {
      const place = parseOrderedEventId(id);
      if (place) receipts.push({ ...place, requests: requests ?? [] });
    }
    result.check = checkOrder(receipts, plan);
    const lastReceipt = Math.max(startedAt, ...collected.events.flatMap(([, , at]) => at));
    result.drainMs = lastReceipt - startedAt;
    result.ratePerSecond = drainRate(result.check.delivered, startedAt, lastReceipt);
    result.badSignatures = collected.badSignatures;
    result.cpuSeconds = ProcMonitor.cpuSecondsBetween(before, after);
    result.temporalRequests = perDelivery(countersBefore, countersAfter, Math.max(1, result.check.delivered));
    const { check } = result;
    log(
      `  drained ${check.delivered}/${expected} in ${(result.drainMs / 1000).toFixed(1)} s: ${result.ratePerSecond.toFixed(1)}/s, ` +
        `violations ${check.violations} lost ${check.lost} dup ${check.duplicates}`,
    );
    for (const example of check.examples) log(`  order violation: ${example}`);

    const deadlineRows = Date.now() + 20_000;
    for (;;) {
      const rows: Array<{ n: string }> = await env.dataSource.query(
        `SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE $1 AND status = 'SUCCESS'`,
        [`${prefix}-k%`],
      );
      result.recordedSuccess = Number(rows[0]?.n ?? 0);
      if (result.recordedSuccess >= check.delivered || Date.now() > deadlineRows) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    result.database = countersBetween(databaseBefore, await env.databaseCounters());

    const ids = historySamplePoints(plan, 20).map(({ key, seq }) => deliveryWorkflowId(orderedEventId(prefix, key, seq), subscriptionId));
    result.history = await sampleHistories(env.temporal.address, env.temporal.namespace, ids).catch(() => undefined);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  ordered phase failed: ${result.error} (logs in ${env.logDir})`);
  }
  return result;
}
