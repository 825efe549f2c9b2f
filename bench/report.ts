/** Turns the measurements into the stdout table, docs/benchmarks.md sections and the summary line. */
import type { PhaseResult } from './phases';
import type { HistorySample } from './temporal-history';
import type { ProfileSummary } from './cpu-profile';
import { cpuPerThousand, formatRatio, sustainedRate } from './stats';
import type { DatabaseCounters } from './environment';
import type { BurstResult } from './burst';
import type { SystemName } from './systems/system';
import type { TemporalRequests } from './temporal-metrics';
import type { OrderedResult } from './ordered';
import { orderedShare } from './order-check';

/** CPU of Temporal's own processes in a by-group record: the dev server, or a cluster's four services. */
export function temporalCpu(byGroup: Record<string, number>): number {
  return Object.entries(byGroup).reduce((sum, [group, v]) => (group.startsWith('temporal-') ? sum + v : sum), 0);
}

export interface ThreadProfile {
  thread: string;
  summary: ProfileSummary;
}

export interface ProcessMemory {
  name: string;
  peakRssMb: number;
  processes: number;
}

export interface SystemResult {
  name: SystemName;
  describe: string;
  phases: PhaseResult[];
  /** Process groups that belong to the system itself (not Temporal, Postgres, Redis). */
  ownGroups: string[];
  memory: ProcessMemory[];
  /** Delivery rows recorded SUCCESS vs events published (warm-up included); for the floor, which records nothing, its receipts. */
  recorded: { success: number; published: number };
  database: DatabaseCounters & { deliveries: number };
  history?: HistorySample;
  /** Temporal frontend RPCs and persistence operations per delivery over the measured phases (engine only). */
  temporalRequests?: TemporalRequests;
  /** Commits of Temporal's own Postgres databases per delivery over the measured phases (cluster only). */
  temporalCommits?: number;
  profiles?: ThreadProfile[];
  /** The engine's ordered phase (bench/ordered.ts), run on its processes after its measured phases. */
  ordered?: OrderedResult;
  /** 1-minute load average of the machine when the system started and when it stopped (other work shows here). */
  loadAverage: { start: number; end: number };
  error?: string;
}

export const sustained = (system: SystemResult | undefined): number =>
  system ? sustainedRate(system.phases.map((p) => ({ rate: p.rate, outcome: p.outcome }))) : 0;

export const peakAchieved = (system: SystemResult | undefined): number =>
  system ? Math.max(0, ...system.phases.map((p) => p.outcome.achievedRate)) : 0;

/** CPU seconds per 1000 deliveries per group, over the fixed-rate phases (the ramp's overload is left out). */
export function cpuPer1kByGroup(system: SystemResult): Record<string, number> {
  const fixed = system.phases.filter((p) => p.kind === 'fixed');
  const delivered = fixed.reduce((n, p) => n + p.outcome.delivered, 0);
  const totals: Record<string, number> = {};
  for (const phase of fixed) for (const [group, s] of Object.entries(phase.cpuSeconds)) totals[group] = (totals[group] ?? 0) + s;
  return Object.fromEntries(Object.entries(totals).map(([group, s]) => [group, cpuPerThousand(s, delivered)]));
}

export function ownCpuPer1k(system: SystemResult | undefined): number {
  if (!system) return Number.NaN;
  const byGroup = cpuPer1kByGroup(system);
  return system.ownGroups.reduce((sum, group) => sum + (byGroup[group] ?? 0), 0);
}

export function lostAndDuplicates(system: SystemResult): { lost: number; duplicates: number; badSignatures: number } {
  return system.phases.reduce(
    (acc, p) => ({
      lost: acc.lost + p.outcome.lost,
      duplicates: acc.duplicates + p.outcome.duplicates,
      badSignatures: Math.max(acc.badSignatures, p.badSignatures),
    }),
    { lost: 0, duplicates: 0, badSignatures: 0 },
  );
}

const ms = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '-');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '-');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function phaseTable(system: SystemResult): string {
  const groups = [...new Set(system.phases.flatMap((p) => Object.keys(p.cpuSeconds)))];
  const header = [
    'phase',
    'offered/s',
    'achieved/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'delivered',
    'lost',
    'dup',
    'sustained',
    ...groups.map((g) => `CPU s/1k ${g}`),
  ];
  const rows = system.phases.map((p) => [
    p.label,
    f1(p.outcome.offeredRate),
    f1(p.outcome.achievedRate),
    ms(p.outcome.latency.p50),
    ms(p.outcome.latency.p95),
    ms(p.outcome.latency.p99),
    ms(p.outcome.latency.max),
    String(p.outcome.delivered),
    String(p.outcome.lost),
    String(p.outcome.duplicates),
    p.sustained ? 'yes' : 'no',
    ...groups.map((g) => f2(cpuPerThousand(p.cpuSeconds[g] ?? 0, p.outcome.delivered))),
  ]);
  return table(header, rows);
}

export function summaryTable(systems: SystemResult[]): string {
  const direct = systems.find((s) => s.name === 'direct');
  const rows = systems.map((s) => {
    const { lost, duplicates, badSignatures } = lostAndDuplicates(s);
    const at50 = s.phases.find((p) => p.kind === 'fixed' && p.rate === 50);
    return [
      s.name,
      String(sustained(s)),
      f1(peakAchieved(s)),
      at50 ? ms(at50.outcome.latency.p99) : '-',
      f2(ownCpuPer1k(s)),
      formatRatio(ownCpuPer1k(s), ownCpuPer1k(direct)),
      String(lost),
      String(duplicates),
      String(badSignatures),
      `${s.recorded.success}/${s.recorded.published}`,
      s.error ? `error: ${s.error}` : '',
    ];
  });
  return table(
    [
      'system',
      'sustained/s',
      'peak achieved/s',
      'p99 @50/s ms',
      'own CPU s/1k',
      'own CPU vs direct',
      'lost',
      'dup',
      'bad signatures',
      'rows SUCCESS/published',
      'note',
    ],
    rows,
  );
}

export function resourceTable(system: SystemResult): string {
  const cpu = cpuPer1kByGroup(system);
  const memory = new Map(system.memory.map((m) => [m.name, m]));
  const names = [...new Set([...Object.keys(cpu), ...memory.keys()])];
  return table(
    ['process', 'CPU s per 1000 deliveries (fixed-rate phases)', 'peak RSS MB (largest process)', 'processes seen'],
    names.map((n) => [n, f3(cpu[n] ?? Number.NaN), f1(memory.get(n)?.peakRssMb ?? Number.NaN), String(memory.get(n)?.processes ?? '-')]),
  );
}

export function databaseLine(system: SystemResult): string {
  const d = system.database;
  const per = (v: number) => f2(d.deliveries > 0 ? v / d.deliveries : Number.NaN);
  return `Postgres per delivery (pg_stat_database of the run's database, whole system run incl. warm-up): ${per(d.xactCommit)} commits, ${per(d.tupInserted)} rows inserted, ${per(d.tupUpdated)} rows updated, ${per(d.tupFetched)} rows fetched.`;
}

/** `suffix`: what sets the run apart from the default one (e.g. ` temporal=cluster workers=2`). */
export function summaryLine(systems: SystemResult[], burst?: BurstResult, suffix = ''): string {
  const by = (name: string) => systems.find((s) => s.name === name);
  const engine = by('engine');
  const e = sustained(engine);
  const f = sustained(by('floor'));
  const b = sustained(by('bullmq'));
  const d = sustained(by('direct'));
  const at50 = engine?.phases.find((p) => p.kind === 'fixed' && p.rate === 50);
  const p99 = at50 ? ms(at50.outcome.latency.p99) : 'n/a';
  const cpu = ownCpuPer1k(engine);
  const burstRate = burst && !burst.error ? Math.round(burst.ratePerSecond) : 'n/a';
  return (
    `bench: engine=${e}/s floor=${f}/s bullmq=${b}/s direct=${d}/s burst=${burstRate}/s engine/floor=${formatRatio(e, f)} ` +
    `engine/direct=${formatRatio(e, d)} engine/bullmq=${formatRatio(e, b)} p99@50=${p99}ms cpu/1k=${Number.isFinite(cpu) ? cpu.toFixed(2) : 'n/a'}s` +
    `${engine?.ordered ? ` ${orderedSummary(engine.ordered, e)}` : ''}${suffix}`
  );
}

/** The burst phase: drain, rate, loss, and per successful delivery its Temporal cost and CPU by process group. */
export function burstSection(burst: BurstResult): string {
  const { plan } = burst;
  const per = (seconds: number) => f1(burst.delivered > 0 ? (seconds * 1000) / burst.delivered : Number.NaN);
  const own = burst.ownGroups.reduce((sum, g) => sum + (burst.cpuSeconds[g] ?? 0), 0);
  const withTemporal = own + temporalCpu(burst.cpuSeconds);
  const h = burst.history;
  const t = burst.temporalRequests;
  const rows = [
    ['published at once', `${plan.events} events x ${plan.subscriptions} subscriptions = ${burst.expected} deliveries`],
    ['drain (first publish to last receipt)', `${f1(burst.drainMs / 1000)} s`],
    ['drain rate', `**${f1(burst.ratePerSecond)} deliveries/s**`],
    ['delivered / lost / duplicates / bad signatures', `${burst.delivered} / ${burst.lost} / ${burst.duplicates} / ${burst.badSignatures}`],
    ['rows SUCCESS', `${burst.recordedSuccess}/${burst.expected}`],
    ['history events per delivery', h ? f1(h.eventsPerDelivery) : '-'],
    ['workflow tasks per delivery', h ? f1(h.workflowTasksPerDelivery) : '-'],
    ['billable actions per delivery', h ? f1(h.billableActionsPerDelivery) : '-'],
    ['frontend RPCs per delivery', t ? `${f1(t.rpcTotal)} (${t.rpcs.map(([op, n]) => `${op} ${n.toFixed(2)}`).join(', ')})` : '-'],
    ['CPU ms per delivery, engine processes', per(own)],
    ...(t?.persistenceBy
      ? [
          [
            'persistence operations per delivery',
            `${f1(t.persistence)} (${t.persistenceBy.map(([s, n]) => `${s} ${n.toFixed(2)}`).join(', ')})`,
          ],
        ]
      : []),
    ...(burst.temporalCommits !== undefined ? [["Temporal's Postgres commits per delivery", f1(burst.temporalCommits)]] : []),
    ['CPU ms per delivery, engine + Temporal server', per(withTemporal)],
    ...Object.entries(burst.cpuSeconds).map(([group, s]) => [`CPU ms per delivery, ${group}`, per(s)]),
  ];
  return `${table(['burst', 'value'], rows)}${
    burst.error
      ? `

**Error: ${burst.error}**`
      : ''
  }`;
}

/** `ordered=<rate>/s (<share>x unordered) violations=0 lost=0 dup=0`: the ordered phase beside the engine's sustained rate. */
export function orderedSummary(ordered: OrderedResult, unorderedRate: number): string {
  if (ordered.error) return 'ordered=n/a (failed)';
  const { check } = ordered;
  const share = orderedShare(ordered.ratePerSecond, unorderedRate);
  return (
    `ordered=${ordered.ratePerSecond.toFixed(1)}/s (${Number.isFinite(share) ? `${share.toFixed(2)}x` : 'n/a'} unordered) ` +
    `violations=${check.violations} lost=${check.lost} dup=${check.duplicates}`
  );
}

/**
 * The ordered phase: drain rate beside the engine's unordered sustained rate of the same run, order violations, loss
 * and duplicates, and per ordered delivery its Temporal and Postgres cost and CPU, each beside the unordered figure of
 * the same run (the engine's measured phases: histories of its 50/s phase, RPCs and Postgres over its phases).
 */
export function orderedSection(ordered: OrderedResult, systems: SystemResult[]): string {
  const engine = systems.find((s) => s.name === 'engine');
  const unordered = sustained(engine);
  const { plan, check } = ordered;
  const delivered = check.delivered;
  const per = (seconds: number) => f1(delivered > 0 ? (seconds * 1000) / delivered : Number.NaN);
  const own = ordered.ownGroups.reduce((sum, g) => sum + (ordered.cpuSeconds[g] ?? 0), 0);
  const h = ordered.history;
  const u = engine?.history;
  const t = ordered.temporalRequests;
  const beside = (value: number | undefined, unorderedValue: number | undefined) =>
    `${value === undefined ? '-' : f1(value)} (unordered ${unorderedValue === undefined ? '-' : f1(unorderedValue)})`;
  const unorderedCommits = engine && engine.database.deliveries > 0 ? engine.database.xactCommit / engine.database.deliveries : undefined;
  const byEngineCpu = engine ? cpuPer1kByGroup(engine) : {};
  const unorderedOwn = engine ? ownCpuPer1k(engine) : undefined;
  const rows = [
    [
      'published at once (on the stream, interleaved)',
      `${plan.keys} keys x ${plan.events} events = ${check.expected} events to one ordered subscription`,
    ],
    ['drain (first publish to last receipt)', `${f1(ordered.drainMs / 1000)} s`],
    ['drain rate', `**${f1(ordered.ratePerSecond)} events/s**`],
    ["engine's unordered sustained rate, same run", `${unordered}/s`],
    ['ordered / unordered', `**${formatRatio(ordered.ratePerSecond, unordered)}x**`],
    ['order violations (lanes with one)', `${check.violations} (${check.lanesWithViolations})`],
    ['delivered / lost / duplicates / bad signatures', `${delivered} / ${check.lost} / ${check.duplicates} / ${ordered.badSignatures}`],
    ['rows SUCCESS', `${ordered.recordedSuccess}/${check.expected}`],
    ['history events per delivery', beside(h?.eventsPerDelivery, u?.eventsPerDelivery)],
    ['workflow tasks per delivery', beside(h?.workflowTasksPerDelivery, u?.workflowTasksPerDelivery)],
    ['activities per delivery', beside(h?.activitiesPerDelivery, u?.activitiesPerDelivery)],
    ['billable actions per delivery', beside(h?.billableActionsPerDelivery, u?.billableActionsPerDelivery)],
    ['frontend RPCs per delivery', beside(t?.rpcTotal, engine?.temporalRequests?.rpcTotal)],
    ['Postgres commits per delivery', beside(delivered > 0 ? ordered.database.xactCommit / delivered : undefined, unorderedCommits)],
    [
      'CPU ms per delivery, engine processes',
      `${per(own)} (unordered, fixed-rate phases ${unorderedOwn === undefined ? '-' : f1(unorderedOwn)})`,
    ],
    [
      'CPU ms per delivery, engine + Temporal',
      `${per(own + temporalCpu(ordered.cpuSeconds))} (unordered ${unorderedOwn === undefined ? '-' : f1(unorderedOwn + temporalCpu(byEngineCpu))})`,
    ],
    ...Object.entries(ordered.cpuSeconds).map(([group, s]) => [`CPU ms per delivery, ${group}`, per(s)]),
  ];
  const types = h
    ? `\n\nOrdered history per delivery (${h.workflows} workflows sampled across lanes and places in them) by type: ${Object.entries(
        h.byType,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${n.toFixed(1)}`)
        .join(', ')}.`
    : '';
  const examples = check.examples.length > 0 ? `\n\nOrder violations, first ones: ${check.examples.join('; ')}.` : '';
  return `${table(['ordered', 'value'], rows)}${types}${examples}${ordered.error ? `\n\n**Error: ${ordered.error}**` : ''}`;
}
