/**
 * `npm run bench`: the engine, Temporal's floor for the engine's shape, a BullMQ queue + worker and a direct loop,
 * each fed by the same open-loop Redis publisher at fixed rates and then a saturation ramp, all delivering to one
 * receiver process on 127.0.0.1; after its measured phases the engine runs its ordered phase (bench/ordered.ts); then
 * the engine's burst phase on a file-backed dev server (bench/burst.ts).
 * Prints a table, writes docs/benchmarks.md (between its generated-results markers) and docs/benchmarks-latency.svg,
 * and ends with the one-line summary. Every child process is stopped and the database dropped, also on error.
 *
 * Options: --systems=direct,bullmq,floor,engine  --quick (short phases, for a smoke run)  --no-profile  --no-docs
 *          --burst=<events>x<subscriptions> (default 400x5; 100x5 with --quick)  --no-burst
 *          --ordered[=<keys>x<events>] (default 500x10; 100x5 with --quick)  --no-ordered: the engine's ordered phase
 *            (bench/ordered.ts), after its measured phases on the same processes; on by default
 *          --engine-layout=embedded|separate (default embedded: the listener hosts a worker; separate: it does not)
 *          --ts-node (run the systems through ts-node instead of compiled JavaScript)
 *          --temporal=dev|cluster (default dev: a dev server of the run's own; cluster: a real Temporal cluster of the
 *            run's own, bench/cluster-environment.ts, results in their own section of docs/benchmarks.md)
 *          --workers=<n> (the engine's start:worker processes beside the listener, default 1)
 *          --tracing (the engine's listener and workers, in its phases and its burst, trace every event: OTEL_TRACES_SAMPLER=always_on into a
 *            local OTLP/HTTP receiver in this process, bench/otlp-sink.ts; implies --no-docs, as docs/benchmarks.md
 *            holds untraced runs; compare with a run without it)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { BUILD_ROOT, setRunMode, stopAll, PROJECT_ROOT } from './children';
import { transpileProject } from './build';
import { perDelivery, scrapeTemporalCounters } from './temporal-metrics';
import { setSubscriptionUrl, setUpEnvironment, type BenchEnvironment, type DatabaseCounters } from './environment';
import { recheckLateArrivals, runPlan, waitForReceipts, type PhasePlan } from './phases';
import { ProcMonitor } from './proc-monitor';
import { publishPhase } from './publisher';
import { startReceiverProcess, type ReceiverHandle } from './receiver-client';
import {
  burstSection,
  orderedSection,
  phaseTable,
  resourceTable,
  summaryLine,
  summaryTable,
  databaseLine,
  type SystemResult,
} from './report';
import { SYSTEMS } from './systems';
import { traceEngineInto } from './systems/system';
import { startOtlpSink, type OtlpSink } from './otlp-sink';
import { runBurst, type BurstPlan, type BurstResult } from './burst';
import type { SystemUnderTest } from './systems/system';
import { runOrdered } from './ordered';
import { parseOrderedSize, type OrderedPlan } from './order-check';
import { collectEngineDetails, historySection, readProfiles, temporalRequestsLine, writeDocs, machineInfo } from './run-details';

const HARD_LIMIT_MS = 20 * 60 * 1000;
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string, fallback: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const QUICK = flag('quick');
const PLAN: PhasePlan = QUICK
  ? {
      fixedRates: [10, 50],
      fixedDurationMs: 4_000,
      rampFactor: 2,
      rampSteps: 2,
      rampDurationMs: 3_000,
      refineSteps: 0,
      drainTimeoutMs: 20_000,
    }
  : {
      fixedRates: [10, 25, 50],
      fixedDurationMs: 15_000,
      rampFactor: 1.5,
      rampSteps: 8,
      rampDurationMs: 8_000,
      refineSteps: 2,
      drainTimeoutMs: 45_000,
    };

const [burstEvents, burstSubscriptions] = option('burst', QUICK ? '100x5' : '400x5')
  .split('x')
  .map(Number) as [number, number];
const BURST: BurstPlan = { events: burstEvents, subscriptions: burstSubscriptions, drainTimeoutMs: QUICK ? 120_000 : 300_000 };

const orderedArg = argv.find((a) => a === '--ordered' || a.startsWith('--ordered='));
const orderedSize = parseOrderedSize(orderedArg?.slice('--ordered='.length), QUICK ? { keys: 100, events: 5 } : { keys: 500, events: 10 });
if (!orderedSize) throw new Error('--ordered must be <keys>x<events>, e.g. 500x10');
if (orderedArg && flag('no-ordered')) throw new Error('--ordered and --no-ordered together');
/** The engine's ordered phase; undefined with --no-ordered. */
const ORDERED: OrderedPlan | undefined = flag('no-ordered') ? undefined : { ...orderedSize, drainTimeoutMs: QUICK ? 120_000 : 300_000 };

const ENGINE_LAYOUT = option('engine-layout', 'embedded') as 'embedded' | 'separate';
if (ENGINE_LAYOUT !== 'embedded' && ENGINE_LAYOUT !== 'separate') throw new Error('--engine-layout must be embedded or separate');

const TEMPORAL = option('temporal', 'dev') as 'dev' | 'cluster';
if (TEMPORAL !== 'dev' && TEMPORAL !== 'cluster') throw new Error('--temporal must be dev or cluster');
const WORKERS = Number(option('workers', '1'));
if (!(Number.isInteger(WORKERS) && WORKERS >= 1 && WORKERS <= 8)) throw new Error('--workers must be a whole number from 1 to 8');
const TRACING = flag('tracing');
/** Set apart in the summary line what differs from the default run. */
const SUMMARY_SUFFIX =
  (TEMPORAL === 'cluster' ? ` temporal=cluster workers=${WORKERS}` : WORKERS !== 1 ? ` workers=${WORKERS}` : '') +
  (TRACING ? ' tracing=100%' : '');

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Publishes one probe a second until one arrives (the listener is subscribed and the pipeline works), then 20 more. */
async function warmUp(env: BenchEnvironment, receiver: ReceiverHandle, channel: string, system: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (let probe = 0; ; probe += 1) {
    const prefix = `${env.runId}-${system}-probe${probe}`;
    await publishPhase(env.redis, channel, env.accountId, { prefix, rate: 1, durationMs: 1_000 });
    if ((await waitForReceipts(receiver, `${env.runId}-${system}-probe`, 1, 1_000)) > 0) break;
    if (Date.now() > deadline) throw new Error(`${system} delivered nothing within 180 s of starting`);
  }
  const prefix = `${env.runId}-${system}-warm`;
  const warm = await publishPhase(env.redis, channel, env.accountId, { prefix, rate: 10, durationMs: 2_000 });
  const got = await waitForReceipts(receiver, `${prefix}-`, warm.ids.length, 60_000);
  if (got < warm.ids.length) throw new Error(`${system} delivered ${got} of ${warm.ids.length} warm-up events`);
}

async function runSystem(
  system: SystemUnderTest,
  env: BenchEnvironment,
  receiver: ReceiverHandle,
  profile: boolean,
): Promise<SystemResult> {
  const channel = `bench:${env.runId}:${system.name}`;
  const profileDir = path.join(env.logDir, `profile-${system.name}`);
  mkdirSync(profileDir, { recursive: true });
  const monitor = new ProcMonitor();
  monitor.add('postgres-backends', () => env.postgresBackendPids());
  monitor.add('redis-server', () => env.redisServerPids());
  const onTemporal = system.name === 'engine' || system.name === 'floor';
  if (onTemporal) for (const [name, source] of env.temporalGroups) monitor.add(name, source);
  const databaseBefore = await env.databaseCounters();
  const result: SystemResult = {
    name: system.name,
    describe:
      (system.name === 'engine' && ENGINE_LAYOUT === 'separate'
        ? `${system.describe}; here with --engine-layout=separate: the listener without its embedded worker (WEBHOOKS_LISTENER_EMBEDDED_WORKER=false), no eager start, the worker process makes every delivery`
        : system.describe
      ).replace('same dev server', TEMPORAL === 'cluster' ? 'same cluster' : 'same dev server') +
      (system.name === 'engine' && WORKERS !== 1 ? `; ${WORKERS} start:worker processes beside the listener` : '') +
      (system.name === 'engine' && ORDERED
        ? "; its listener also reads a Redis stream of the run's own (idle until the ordered phase)"
        : ''),
    phases: [],
    ownGroups: [],
    memory: [],
    recorded: { success: 0, published: 0 },
    database: { ...databaseBefore, deliveries: 0 },
    loadAverage: { start: os.loadavg()[0] as number, end: Number.NaN },
  };
  log(`\n== ${system.name}: ${system.describe}`);
  // The ordered phase publishes on a stream: the engine's listener reads one of the run's own beside its channel.
  const stream = system.name === 'engine' && ORDERED ? `bench:${env.runId}:engine:stream` : undefined;
  let orderedDatabase: DatabaseCounters | undefined;
  const running = await system.start({
    env,
    channel,
    workerNodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    receiverUrl: receiver.url,
    engineLayout: ENGINE_LAYOUT,
    workers: WORKERS,
    stream,
  });
  try {
    for (const child of running.processes) monitor.add(child.name, () => (child.exited() ? [] : [child.pid]));
    result.ownGroups = running.processes.map((c) => c.name);
    monitor.start(500);
    await warmUp(env, receiver, channel, system.name);
    log(`  ready (warm-up delivered)`);
    const countersBefore = onTemporal ? await scrapeTemporalCounters(env.temporalMetricsUrls) : undefined;
    const commitsBefore = onTemporal ? await env.temporalDatabaseCommits?.() : undefined;
    const runner = { env, receiver, monitor, channel, log };
    result.phases = await recheckLateArrivals(runner, await runPlan(runner, system.name, PLAN), 60_000);
    if (countersBefore) {
      const delivered = result.phases.reduce((n, p) => n + p.outcome.delivered, 0);
      result.temporalRequests = perDelivery(countersBefore, await scrapeTemporalCounters(env.temporalMetricsUrls), delivered);
      const commitsAfter = await env.temporalDatabaseCommits?.();
      if (commitsBefore !== undefined && commitsAfter !== undefined)
        result.temporalCommits = (commitsAfter - commitsBefore) / Math.max(1, delivered);
    }
    await monitor.snapshot();
    if (stream && ORDERED) {
      result.ordered = await runOrdered({ env, receiver, monitor, ownGroups: result.ownGroups, stream, log }, ORDERED);
      orderedDatabase = result.ordered.database;
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  ${system.name} failed: ${result.error} (logs in ${env.logDir})`);
  } finally {
    monitor.stop();
    result.loadAverage.end = os.loadavg()[0] as number;
    await running.stop();
    if (stream) await env.redis.del(stream).catch(() => undefined);
  }
  result.memory = [...result.ownGroups, ...env.temporalGroups.map(([name]) => name), 'postgres-backends', 'redis-server']
    .map((name) => ({ name, m: monitor.memory(name) }))
    .filter((x) => x.m && x.m.processes > 0)
    .map(({ name, m }) => ({ name, peakRssMb: (m?.peakRssKbMax ?? 0) / 1024, processes: m?.processes ?? 0 }));
  const published = result.phases.reduce((n, p) => n + p.outcome.published, 0);
  const prefixes = result.phases.map((p) => `${p.prefix}-`);
  result.recorded = {
    success:
      system.name === 'floor' ? await countReceipts(receiver, env, system.name, prefixes) : await countRecorded(env, prefixes, published),
    published,
  };
  // The system's own figures: the ordered phase's Postgres work is reported with that phase, not here.
  const databaseAfter = await env.databaseCounters();
  const o = orderedDatabase ?? { xactCommit: 0, tupInserted: 0, tupUpdated: 0, tupFetched: 0 };
  result.database = {
    xactCommit: databaseAfter.xactCommit - databaseBefore.xactCommit - o.xactCommit,
    tupInserted: databaseAfter.tupInserted - databaseBefore.tupInserted - o.tupInserted,
    tupUpdated: databaseAfter.tupUpdated - databaseBefore.tupUpdated - o.tupUpdated,
    tupFetched: databaseAfter.tupFetched - databaseBefore.tupFetched - o.tupFetched,
    deliveries: await countAllDelivered(env, system.name),
  };
  if (profile) result.profiles = readProfiles(profileDir);
  if (onTemporal && !result.error) result.history = await collectEngineDetails(env, result).catch(() => undefined);
  if (system.name === 'bullmq') await obliterateQueue(env).catch((e: unknown) => log(`  could not remove the BullMQ queue: ${String(e)}`));
  return result;
}

/**
 * SUCCESS rows of the measured phases' events (fixed, ramp and refinement phases: each phase's own id prefix); waits
 * briefly for outcomes recorded after the receipt.
 */
async function countRecorded(env: BenchEnvironment, prefixes: string[], expected: number): Promise<number> {
  const patterns = prefixes.map((prefix) => `${prefix}%`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows: Array<{ n: string }> = await env.dataSource.query(
      `SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE ANY($1::text[]) AND status = 'SUCCESS'`,
      [patterns],
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n >= expected || Date.now() > deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The floor records no rows: its measured phases' distinct receipts stand in for them. */
async function countReceipts(receiver: ReceiverHandle, env: BenchEnvironment, system: string, prefixes: string[]): Promise<number> {
  const { events } = await receiver.collect(`${env.runId}-${system}-`);
  return events.filter(([id]) => prefixes.some((prefix) => id.startsWith(prefix))).length;
}

async function countAllDelivered(env: BenchEnvironment, system: string): Promise<number> {
  const rows: Array<{ n: string }> = await env.dataSource.query(`SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE $1`, [
    `${env.runId}-${system}-%`,
  ]);
  return Number(rows[0]?.n ?? 0);
}

async function obliterateQueue(env: BenchEnvironment): Promise<void> {
  const queue = new Queue(`bench-${env.runId}`, {
    connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
    prefix: 'bench',
  });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

async function main(): Promise<void> {
  const names = option('systems', 'direct,bullmq,floor,engine')
    .split(',')
    .map((s) => s.trim()) as Array<SystemUnderTest['name']>;
  for (const name of names) if (!SYSTEMS[name]) throw new Error(`unknown system "${name}" (direct, bullmq, floor, engine)`);
  if (!(BURST.events > 0 && BURST.subscriptions > 0)) throw new Error('--burst must be <events>x<subscriptions>, e.g. 400x5');
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const logDir = mkdtempSync(path.join(os.tmpdir(), `webhooks-bench-${runId}-`));
  log(`bench run ${runId}; logs in ${logDir}`);
  const startedAt = Date.now();
  if (flag('ts-node')) setRunMode('ts-node');
  else
    log(
      `compiled ${transpileProject(PROJECT_ROOT, BUILD_ROOT)} files into ${path.relative(PROJECT_ROOT, BUILD_ROOT)} in ${Date.now() - startedAt} ms`,
    );
  const env = await setUpEnvironment(runId, logDir, { temporal: TEMPORAL, log });
  activeEnv = env;
  let sink: OtlpSink | undefined;
  try {
    if (TRACING) {
      sink = await startOtlpSink();
      traceEngineInto(sink.endpoint);
      log(`tracing on: every event traced into the OTLP receiver at ${sink.endpoint}`);
    }
    const receiver = await startReceiverProcess(logDir, env.signingSecret);
    await setSubscriptionUrl(env, receiver.url);
    const results: SystemResult[] = [];
    for (const name of names) results.push(await runSystem(SYSTEMS[name], env, receiver, !flag('no-profile')));
    const burst: BurstResult | undefined =
      names.includes('engine') && !flag('no-burst') ? await runBurst(env, receiver, BURST, log, ENGINE_LAYOUT, WORKERS) : undefined;
    await receiver.child.stop();

    process.stdout.write(`\n${summaryTable(results)}\n`);
    for (const r of results) {
      process.stdout.write(`\n### ${r.name}\n${phaseTable(r)}\n\n${resourceTable(r)}\n\n${databaseLine(r)}\n`);
      if (r.history) process.stdout.write(historySection(r.history));
      if (r.temporalRequests) process.stdout.write(temporalRequestsLine(r));
    }
    const ordered = results.find((r) => r.name === 'engine')?.ordered;
    if (ordered) process.stdout.write(`\n### ordered\n${orderedSection(ordered, results)}\n`);
    if (burst) process.stdout.write(`\n### burst\n${burstSection(burst)}\n`);
    if (sink) {
      const { exports, spans, bytes } = sink.counts();
      process.stdout.write(`\ntracing: ${spans} spans received in ${exports} exports (${Math.round(bytes / 1024)} KiB)\n`);
    }
    if (!flag('no-docs') && !TRACING) {
      const written = writeDocs({
        results,
        burst,
        env,
        plan: PLAN,
        machine: await machineInfo(env),
        durationMs: Date.now() - startedAt,
        quick: QUICK,
        workers: WORKERS,
        summarySuffix: SUMMARY_SUFFIX,
      });
      log(`wrote ${written.map((f) => path.relative(PROJECT_ROOT, f)).join(', ')}`);
    }
    process.stdout.write(`${summaryLine(results, burst, SUMMARY_SUFFIX)}\n`);
  } finally {
    await env.close();
    await stopAll();
    await sink?.close();
  }
}

/** Set once the environment exists, so that a signal or the time limit also drops the database. */
let activeEnv: BenchEnvironment | undefined;
const abandon = (code: number) => {
  void Promise.allSettled([stopAll(2_000), activeEnv?.close()]).finally(() => process.exit(code));
};

const hardLimit = setTimeout(() => {
  log(`bench: exceeded ${HARD_LIMIT_MS / 60_000} minutes; stopping everything`);
  abandon(2);
}, HARD_LIMIT_MS);
hardLimit.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`bench: ${signal}; stopping every child process`);
    abandon(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    abandon(1);
  },
);
