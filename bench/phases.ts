/**
 * Runs one system through its phases: a warm-up (not measured), fixed offered rates, then a saturation ramp that
 * stops at the first rate the system cannot sustain. Each phase is measured from its first publish until every
 * event was received (or the drain deadline passed): CPU per process group, latencies, loss and duplicates.
 */
import { publishPhase } from './publisher';
import type { ReceiverHandle } from './receiver-client';
import { ProcMonitor } from './proc-monitor';
import { isSustained, summarizeStep, type StepOutcome } from './stats';
import type { BenchEnvironment } from './environment';

export interface PhasePlan {
  fixedRates: number[];
  fixedDurationMs: number;
  rampRates: number[];
  rampDurationMs: number;
  /** Longest wait for the last events of a phase after publishing ends. */
  drainTimeoutMs: number;
}

export interface PhaseResult {
  label: string;
  kind: 'fixed' | 'ramp';
  rate: number;
  outcome: StepOutcome;
  sustained: boolean;
  /** CPU seconds per process group over the phase (publishing + drain). */
  cpuSeconds: Record<string, number>;
  wallMs: number;
  maxPublishLagMs: number;
  badSignatures: number;
  prefix: string;
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

export async function runPhase(
  runner: PhaseRunner,
  prefix: string,
  label: string,
  kind: 'fixed' | 'ramp',
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
  const byId = new Map(collected.events.map(([id, scheduledAt, receivedAt]) => [id, { scheduledAt, receivedAt }]));
  // An event never received still has a due time: recover it from its sequence number.
  const interval = 1000 / rate;
  const receipts = published.ids.map((id, seq) => byId.get(id) ?? { scheduledAt: Math.round(published.startedAt + seq * interval), receivedAt: [] });
  const outcome = summarizeStep(receipts, published.endedAt);
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
  for (const rate of plan.rampRates) {
    const prefix = `${runner.env.runId}-${system}-s${rate}`;
    const result = await runPhase(runner, prefix, `ramp ${rate}/s`, 'ramp', rate, plan.rampDurationMs, plan.drainTimeoutMs);
    results.push(result);
    if (!result.sustained) break;
  }
  return results;
}
