/** The parts of a run that are about reporting: machine facts, history sample, profiles, and the docs files. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deliveryWorkflowId } from '../src/temporal/contract';
import { PROJECT_ROOT } from './children';
import { summarizeCpuProfile, type CpuProfile } from './cpu-profile';
import type { BenchEnvironment } from './environment';
import type { PhasePlan } from './phases';
import type { BurstResult } from './burst';
import { replaceSection, sectionMarkers } from './docs-sections';
import {
  burstSection,
  orderedSection,
  temporalCpu,
  databaseLine,
  cpuPer1kByGroup,
  ownCpuPer1k,
  phaseTable,
  resourceTable,
  summaryLine,
  summaryTable,
  sustained,
  type SystemResult,
  type ThreadProfile,
} from './report';
import { formatRatio } from './stats';
import { renderLatencyPlot } from './svg-plot';
import { sampleHistories, type HistorySample } from './temporal-history';

export const DOCS_FILE = path.join(PROJECT_ROOT, 'docs', 'benchmarks.md');

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  redis: string;
  temporalCli: string;
}

export async function machineInfo(env: BenchEnvironment): Promise<MachineInfo> {
  const pg: Array<{ server_version: string }> = await env.dataSource.query('SHOW server_version');
  const redisInfo = await env.redis.info('server');
  let temporalCli = 'unknown';
  try {
    temporalCli = execFileSync(env.temporalCommand.split(' ')[0] as string, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // Reported as unknown.
  }
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    postgres: pg[0]?.server_version ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown',
    temporalCli,
  };
}

/** Histories of up to 20 deliveries of the engine's 50/s phase (or its last fixed phase). */
export async function collectEngineDetails(env: BenchEnvironment, engine: SystemResult): Promise<HistorySample> {
  const phase = engine.phases.find((p) => p.kind === 'fixed' && p.rate === 50) ?? engine.phases.filter((p) => p.kind === 'fixed').pop();
  if (!phase) throw new Error('no fixed phase to sample');
  const count = phase.outcome.published;
  const step = Math.max(1, Math.floor(count / 20));
  const ids: string[] = [];
  for (let seq = 0; seq < count && ids.length < 20; seq += step) ids.push(deliveryWorkflowId(`${phase.prefix}-${seq}`, env.subscriptionId));
  return sampleHistories(env.temporal.address, env.temporal.namespace, ids);
}

/**
 * Summarises every .cpuprofile in the directory: one per JS thread of the profiled process (the Temporal worker
 * runs workflows in worker threads, which write their own profile). Labelled by thread number from the file name.
 */
export function readProfiles(dir: string): ThreadProfile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((file) => {
      const thread = /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? '?';
      const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      return { thread: thread === '0' ? 'main thread' : `worker thread ${thread}`, summary: summarizeCpuProfile(profile, PROJECT_ROOT) };
    })
    .filter((p) => p.summary.busyMs > 0);
}

const COLORS: Record<string, string> = { engine: '#1f77b4', floor: '#9467bd', bullmq: '#d62728', direct: '#2ca02c' };

export interface DocsInput {
  results: SystemResult[];
  burst?: BurstResult;
  env: BenchEnvironment;
  plan: PhasePlan;
  machine: MachineInfo;
  durationMs: number;
  quick: boolean;
  /** The engine's start:worker processes (--workers). */
  workers: number;
  /** Appended to the summary line (e.g. ` temporal=cluster workers=2`). */
  summarySuffix: string;
}

function profileSection(result: SystemResult): string {
  const out: string[] = [];
  for (const { thread, summary: p } of result.profiles ?? []) {
    const groups = p.groups
      .slice(0, 10)
      .map(([name, ms, share]) => `| ${name} | ${(ms / 1000).toFixed(2)} | ${(share * 100).toFixed(1)}% |`);
    const functions = p.functions.slice(0, 10).map(([name, ms]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${(ms / 1000).toFixed(2)} |`);
    out.push(
      `CPU profile of the ${result.name} delivery process, ${thread} (node --cpu-prof over the whole run: ${(p.busyMs / 1000).toFixed(1)} s busy; native threads such as Temporal's Rust core are not sampled):`,
      '',
      '| where (self time) | s | share |',
      '| --- | --- | --- |',
      ...groups,
      '',
      '| costliest functions (self time) | s |',
      '| --- | --- |',
      ...functions,
      '',
    );
  }
  return out.join('\n');
}

export function temporalRequestsLine(result: SystemResult): string {
  const t = result.temporalRequests;
  if (!t) return '';
  const rpcs = t.rpcs.map(([operation, n]) => `${operation} ${n.toFixed(2)}`).join(', ');
  const by = t.persistenceBy ? ` (${t.persistenceBy.map(([service, n]) => `${service} ${n.toFixed(2)}`).join(', ')})` : '';
  const commits =
    result.temporalCommits !== undefined ? `; ${result.temporalCommits.toFixed(1)} commits in Temporal's Postgres databases` : '';
  return `Temporal server requests per delivery (its Prometheus counters over the measured phases): **${t.rpcTotal.toFixed(1)} frontend RPCs** (${rpcs}); ${t.persistence.toFixed(1)} persistence operations${by}${commits}.\n`;
}

export function historySection(history: HistorySample | undefined): string {
  if (!history) return '';
  const types = Object.entries(history.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n.toFixed(1)}`)
    .join(', ');
  return `Temporal history per delivery (${history.workflows} workflows sampled from the 50/s phase): **${history.eventsPerDelivery.toFixed(1)} events**, ${history.workflowTasksPerDelivery.toFixed(1)} workflow tasks, ${history.activitiesPerDelivery.toFixed(1)} activities, ${history.billableActionsPerDelivery.toFixed(1)} billable actions. By type: ${types}.\n`;
}

export function renderResults(input: DocsInput): string {
  const { results, env, plan, machine } = input;
  const direct = results.find((r) => r.name === 'direct');
  const engine = results.find((r) => r.name === 'engine');
  const floor = results.find((r) => r.name === 'floor');
  const lines: string[] = [];
  lines.push(
    `Run \`${env.runId}\` on ${new Date().toISOString()}, ${(input.durationMs / 60_000).toFixed(1)} minutes${input.quick ? ' (quick smoke run: short phases)' : ''}.`,
  );
  lines.push('');
  lines.push(
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb.toFixed(1)} GB memory; Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}, ${machine.temporalCli}.`,
  );
  lines.push('');
  if (env.temporalKind === 'cluster') {
    for (const line of env.temporalDetails ?? []) lines.push(line.split(`${PROJECT_ROOT}/`).join('./'), '');
    lines.push(
      `Processes: **engine** = \`start:listener\` (src/main-listener.ts, hosting its embedded delivery worker: eager start) + ${input.workers} \`start:worker\` process${input.workers === 1 ? '' : 'es'} (src/main-worker.ts), ` +
        `${input.workers + 1} delivery workers on the task queue in all; **floor** = one process (its embedded worker only; --workers does not apply).`,
      '',
    );
  } else {
    lines.push('Temporal dev server (started by the benchmark, headless, in memory, free ports):');
    lines.push('');
    lines.push('```');
    lines.push(env.temporalCommand.split(`${PROJECT_ROOT}/`).join('./'));
    lines.push('```');
    lines.push('');
  }
  lines.push(
    `Phases per system: warm-up (not measured); fixed rates ${plan.fixedRates.join(', ')}/s for ${plan.fixedDurationMs / 1000} s each; then a saturation ramp of ${plan.rampDurationMs / 1000} s steps, each x${plan.rampFactor} the previous, starting one step above the highest sustained fixed rate and stopping at the first rate not sustained (at most ${plan.rampSteps} steps)${plan.refineSteps > 0 ? `; then ${plan.refineSteps} refinement steps of the same length, each at the geometric middle of the highest sustained and the lowest failed rate so far` : ''}.`,
  );
  lines.push('');
  lines.push('### Summary');
  lines.push('');
  lines.push(summaryTable(results));
  lines.push('');
  if (engine && direct) {
    const withTemporal = (() => {
      const byGroup = cpuPer1kByGroup(engine);
      return ownCpuPer1k(engine) + temporalCpu(byGroup);
    })();
    lines.push(
      `Engine CPU per delivery (listener + worker, Temporal server excluded) is **${formatRatio(ownCpuPer1k(engine), ownCpuPer1k(direct))}x** the direct loop's; with the Temporal server included it is ${formatRatio(withTemporal, ownCpuPer1k(direct))}x.`,
    );
    lines.push('');
  }
  if (engine && floor) {
    lines.push(`The engine sustains **${formatRatio(sustained(engine), sustained(floor))}x** the floor's rate in this run (engine/floor).`);
    lines.push('');
    const [e, f] = [cpuPer1kByGroup(engine), cpuPer1kByGroup(floor)];
    const withTemporal = (byGroup: Record<string, number>, own: number) => own + temporalCpu(byGroup);
    lines.push(
      `CPU per delivery over the fixed-rate phases: engine ${ownCpuPer1k(engine).toFixed(1)} ms in its processes + ${temporalCpu(e).toFixed(1)} ms in Temporal; ` +
        `floor ${ownCpuPer1k(floor).toFixed(1)} + ${temporalCpu(f).toFixed(1)} ms; engine/floor with Temporal ${formatRatio(withTemporal(e, ownCpuPer1k(engine)), withTemporal(f, ownCpuPer1k(floor)))}.`,
    );
    lines.push('');
  }
  if (input.burst) {
    lines.push(
      input.burst.temporalKind === 'cluster'
        ? '### Burst (on the same cluster)'
        : '### Burst (file-backed dev server, as `npm run dev` runs it)',
    );
    lines.push('');
    lines.push('```');
    lines.push(input.burst.temporalCommand.split(`${PROJECT_ROOT}/`).join('./').split(`${env.logDir}/`).join('<log dir>/'));
    lines.push('```');
    lines.push('');
    lines.push(burstSection(input.burst));
    lines.push('');
  }
  if (engine?.ordered) {
    lines.push(
      `### Ordered (the engine's processes after its phases, on the same ${env.temporalKind === 'cluster' ? 'cluster' : 'dev server'})`,
    );
    lines.push('');
    lines.push(orderedSection(engine.ordered, results));
    lines.push('');
  }
  lines.push(`![latency vs offered load](${sectionMarkers(env.temporalKind, input.workers).plot})`);
  lines.push('');
  for (const r of results) {
    lines.push(`### ${r.name}`);
    lines.push('');
    lines.push(
      `${r.describe}. Machine load average (1 min) ${r.loadAverage.start.toFixed(1)} at its start, ${r.loadAverage.end.toFixed(1)} at its end.${r.error ? ` **Error: ${r.error}**` : ''}`,
    );
    lines.push('');
    lines.push(phaseTable(r));
    lines.push('');
    lines.push(resourceTable(r));
    lines.push('');
    lines.push(databaseLine(r));
    lines.push('');
    if (r.history) lines.push(historySection(r.history));
    if (r.temporalRequests) lines.push(temporalRequestsLine(r));
    const profile = profileSection(r);
    if (profile) lines.push(profile);
  }
  lines.push('Summary line of this run:');
  lines.push('');
  lines.push('```');
  lines.push(summaryLine(results, input.burst, input.summarySuffix));
  lines.push('```');
  return lines.join('\n');
}

const DEFAULT_DOC = `# Benchmarks

How fast and how costly a delivery is, against the same work without an orchestrator. \`npm run bench\` regenerates
the sections between the markers below and the plots; everything outside the markers is written by hand.
`;

/** Writes the run's generated section into docs/benchmarks.md (keeping hand-written text and other runs' sections) and its plot. */
export function writeDocs(input: DocsInput): string[] {
  const markers = sectionMarkers(input.env.temporalKind, input.workers);
  const current = existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : DEFAULT_DOC;
  writeFileSync(DOCS_FILE, replaceSection(current, markers, renderResults(input)));
  const plotFile = path.join(PROJECT_ROOT, 'docs', markers.plot);
  const series = input.results
    .filter((r) => r.phases.length > 0)
    .map((r) => ({
      name: r.name,
      color: COLORS[r.name] ?? '#555',
      points: r.phases.map((p) => ({ rate: p.rate, p50: p.outcome.latency.p50, p99: p.outcome.latency.p99 })),
    }));
  const where = input.env.temporalKind === 'cluster' ? `, Temporal cluster, ${input.workers} worker${input.workers === 1 ? '' : 's'}` : '';
  writeFileSync(plotFile, renderLatencyPlot(series, `Publish-to-receipt latency vs offered load (${input.machine.cores} cores${where})`));
  return [DOCS_FILE, plotFile];
}
