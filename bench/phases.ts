/**
 * Runs one system through its phases: a warm-up (not measured), fixed offered rates, then a saturation ramp that
 * stops at the first rate the system cannot sustain, then refinement steps between the highest sustained rate and
 * that failed one (bisection on a geometric scale), so the sustained rate is known to a finer factor than the ramp's. Each phase is measured from its first publish until every
 * event was received (or the drain deadline passed): CPU per process group, latencies, loss and duplicates.
 */
import { publishPhase } from './publisher';
import type { ReceiverHandle } from './receiver-client';
import { ProcMonitor } from './proc-monitor';
import { isSustained, rampRates, rampStart, refineRate, summarizeStep, type EventReceipt, type StepOutcome } from './stats';
import type { CollectedEvent } from './receiver-protocol';
import type { BenchEnvironment } from './environment';

export interface PhasePlan {
  fixedRates: number[];
  fixedDurationMs: number;
  /** Each ramp step offers this factor more than the previous one (see rampStart for the first). */
  rampFactor: number;
  rampSteps: number;
  rampDurationMs: number;
  /**
   * Steps after the ramp, each at the geometric middle of the highest sustained and the lowest failed rate so far
   * (each halves the uncertainty on a log scale: 2 steps after x1.5 ramp steps leave x1.107). Each lasts
   * `rampDurationMs`.
   */
  refineSteps: number;
  /** Longest wait for the last events of a phase after publishing ends. */
  drainTimeoutMs: number;
}

export interface PhaseResult {
  label: string;
  kind: 'fixed' | 'ramp' | 'refine';
  rate: number;
  outcome: StepOutcome;
  sustained: boolean;
  /** CPU seconds per process group over the phase (publishing + drain). */
  cpuSeconds: Record<string, number>;
  wallMs: number;
  maxPublishLagMs: number;
  badSignatures: number;
  prefix: string;
  /** What was published, kept to re-check events that arrive after the drain deadline. */
  published: { ids: string[]; startedAt: number; endedAt: number };
}

export interface PhaseRunner {
  env: BenchEnvironment;
  receiver: ReceiverHandle;
  monitor: ProcMonitor;
  channel: string;
  log: (line: string) => void;
}

/** Waits until `expected` distinct events with the prefix were received, or the deadline passes. */
export async function waitForReceipts(receiver: ReceiverHandle, prefix: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { distinct } = await receiver.count(prefix);
    if (distinct >= expected || Date.now() >= deadline) return distinct;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Receipts in publish order; an event never received keeps its due time (recovered from its sequence number). */
function receiptsOf(published: { ids: string[]; startedAt: number }, rate: number, events: CollectedEvent[]): EventReceipt[] {
  const byId = new Map(events.map(([id, scheduledAt, receivedAt]) => [id, { scheduledAt, receivedAt }]));
  const interval = 1000 / rate;
  return published.ids.map((id, seq) => byId.get(id) ?? { scheduledAt: Math.round(published.startedAt + seq * interval), receivedAt: [] });
}

export async function runPhase(
  runner: PhaseRunner,
  prefix: string,
  label: string,
  kind: 'fixed' | 'ramp' | 'refine',
  rate: number,
  durationMs: number,
  drainTimeoutMs: number,
): Promise<PhaseResult> {
  const before = await runner.monitor.snapshot();
  const started = Date.now();
  const published = await publishPhase(runner.env.redis, runner.channel, runner.env.accountId, { prefix, rate, durationMs });
  await waitForReceipts(runner.receiver, `${prefix}-`, published.ids.length, drainTimeoutMs);
  const after = await runner.monitor.snapshot();
  const wallMs = Date.now() - started;
  const collected = await runner.receiver.collect(`${prefix}-`);
  const outcome = summarizeStep(receiptsOf(published, rate, collected.events), published.endedAt);
  const result: PhaseResult = {
    label,
    kind,
    rate,
    outcome,
    sustained: isSustained(outcome),
    cpuSeconds: ProcMonitor.cpuSecondsBetween(before, after),
    wallMs,
    maxPublishLagMs: published.maxPublishLagMs,
    badSignatures: collected.badSignatures,
    prefix,
    published: { ids: published.ids, startedAt: published.startedAt, endedAt: published.endedAt },
  };
  runner.log(
    `  ${label.padEnd(12)} offered ${outcome.offeredRate.toFixed(1)}/s achieved ${outcome.achievedRate.toFixed(1)}/s ` +
      `p50 ${outcome.latency.p50}ms p95 ${outcome.latency.p95}ms p99 ${outcome.latency.p99}ms ` +
      `lost ${outcome.lost} dup ${outcome.duplicates} ${result.sustained ? 'sustained' : 'NOT sustained'}`,
  );
  return result;
}

export async function runPlan(runner: PhaseRunner, system: string, plan: PhasePlan): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  for (const rate of plan.fixedRates) {
    const prefix = `${runner.env.runId}-${system}-r${rate}`;
    results.push(await runPhase(runner, prefix, `${rate}/s`, 'fixed', rate, plan.fixedDurationMs, plan.drainTimeoutMs));
  }
  const start = rampStart(results, plan.rampFactor);
  for (const rate of rampRates(start, plan.rampFactor, plan.rampSteps)) {
    const prefix = `${runner.env.runId}-${system}-s${rate}`;
    const result = await runPhase(runner, prefix, `ramp ${rate}/s`, 'ramp', rate, plan.rampDurationMs, plan.drainTimeoutMs);
    results.push(result);
    if (!result.sustained) break;
  }
  for (let step = 0; step < plan.refineSteps; step += 1) {
    const sustained = results.filter((r) => r.sustained).reduce((best, r) => Math.max(best, r.rate), 0);
    const failed = results.filter((r) => !r.sustained && r.rate > sustained).reduce((low, r) => Math.min(low, r.rate), Infinity);
    const rate = refineRate(sustained, failed);
    if (rate === undefined) break;
    const prefix = `${runner.env.runId}-${system}-f${rate}`;
    results.push(await runPhase(runner, prefix, `refine ${rate}/s`, 'refine', rate, plan.rampDurationMs, plan.drainTimeoutMs));
  }
  return results;
}

/**
 * Events still missing at a phase's drain deadline are not lost yet: before the system is stopped, wait once more
 * (up to `timeoutMs` for all phases together) and summarise those phases again with every late arrival.
 */
export async function recheckLateArrivals(runner: PhaseRunner, results: PhaseResult[], timeoutMs: number): Promise<PhaseResult[]> {
  const deadline = Date.now() + timeoutMs;
  const out: PhaseResult[] = [];
  for (const phase of results) {
    if (phase.outcome.lost === 0) {
      out.push(phase);
      continue;
    }
    await waitForReceipts(runner.receiver, `${phase.prefix}-`, phase.published.ids.length, Math.max(0, deadline - Date.now()));
    const collected = await runner.receiver.collect(`${phase.prefix}-`);
    const outcome = summarizeStep(receiptsOf(phase.published, phase.rate, collected.events), phase.published.endedAt);
    runner.log(`  ${phase.label}: ${phase.outcome.lost - outcome.lost} late arrival(s) after the drain deadline; lost now ${outcome.lost}`);
    out.push({ ...phase, outcome, sustained: isSustained(outcome), badSignatures: collected.badSignatures });
  }
  return out;
}
