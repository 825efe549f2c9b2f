/**
 * `npm run bench:data`: the delivery log at production volume. Creates a database of its own with the engine's
 * migrations, bulk-loads a tenth of the deliveries over the days (bench/data-fill.ts), times the API's reads through
 * the engine's read code (bench/data-reads.ts), loads the rest and times them again, then runs the engine's insert
 * path beside the retirement of the oldest day (bench/data-insert.ts). Prints a table, writes its section of
 * docs/benchmarks.md and ends with the one-line summary. The database is dropped at the end, also on error and Ctrl-C.
 *
 * Options: --deliveries=N (default 5000000; also as 300k, 5M)  --days=D (default 30, ending today, UTC)
 *          --subscriptions=S (sharing the deliveries evenly, default 100: the healthy and the failing one get N/S each)
 *          --reps=R (runs of each read after its warm-up, default 30)  --writers=W (insert loops, default 4)
 *          --window=<seconds> (each insert window, default 10)  --explain (plans of every read at N, not only the slow ones)
 *          --no-docs
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/app/data-source';
import { migrate } from '../src/app/migrate';
import { dropDatabase } from '../src/db/ensure-database';
import { ensureDayPartitions } from '../src/retention/partitions';
import { fillDay, insertSubscriptions } from './data-fill';
import { runInsertPath } from './data-insert';
import {
  EXPLAIN_ABOVE_MS,
  parseDataOptions,
  planDays,
  planSubscriptions,
  stageRows,
  type DayPlan,
  type FillStage,
  type SubscriptionPlan,
} from './data-plan';
import { explainRead, prepareReads, timeReads, type ReadSpec, type Subject } from './data-reads';
import {
  insertTable,
  placeDataSection,
  planDigest,
  planText,
  readsTable,
  renderDataSection,
  retirementLine,
  sizesTable,
  summaryLine,
  type Checkpoint,
  type ExplainedRead,
  type TableSizes,
} from './data-report';

const BASE_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DOCS_FILE = path.join(__dirname, '..', 'docs', 'benchmarks.md');
const HARD_LIMIT_MS = 45 * 60 * 1000;
/** Days loaded at once, one connection each: an INSERT ... SELECT runs on one core. */
const FILL_CONNECTIONS = Math.min(4, Math.max(2, os.cpus().length));
const ACCOUNTS = 5;
const PARENTS = ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'];

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * One stage over every day, FILL_CONNECTIONS days at a time. JIT is off on these connections only: the planner's row
 * estimate for generate_series makes each day's statement look expensive enough to compile, and compiling took about
 * half a second a statement, more than it saved.
 */
async function fillStage(
  dataSource: DataSource,
  days: readonly DayPlan[],
  stage: FillStage,
  subscriptions: SubscriptionPlan[],
): Promise<number> {
  const started = performance.now();
  const queue = [...days];
  let done = 0;
  const worker = async () => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SET jit = off');
      for (let day = queue.shift(); day; day = queue.shift()) {
        await fillDay(runner, day, stage, subscriptions);
        done += 1;
        if (done % 5 === 0 || done === days.length)
          log(`  stage ${stage}: ${done}/${days.length} days, ${seconds(performance.now() - started)}`);
      }
    } finally {
      await runner.release();
    }
  };
  await Promise.all(Array.from({ length: FILL_CONNECTIONS }, worker));
  return performance.now() - started;
}

/** VACUUM (so index-only scans work) and ANALYZE, as autovacuum would after a load; the tables two at a time. */
async function vacuum(dataSource: DataSource): Promise<number> {
  const started = performance.now();
  const groups = [['webhook_events'], ['webhook_deliveries', 'webhook_delivery_attempts']];
  await Promise.all(groups.map((tables) => dataSource.query(`VACUUM (ANALYZE) ${tables.join(', ')}`)));
  return performance.now() - started;
}

async function tableSizes(dataSource: DataSource): Promise<TableSizes[]> {
  const sizes: TableSizes[] = [];
  for (const table of PARENTS) {
    const [row] = (await dataSource.query(
      `SELECT (SELECT count(*) FROM ${table})::bigint AS rows,
              COALESCE(sum(pg_total_relation_size(inhrelid)), 0)::bigint AS bytes,
              COALESCE(sum(pg_indexes_size(inhrelid)), 0)::bigint AS index_bytes
         FROM pg_inherits WHERE inhparent = $1::regclass`,
      [table],
    )) as Array<{ rows: string; bytes: string; index_bytes: string }>;
    sizes.push({ table, rows: Number(row?.rows), bytes: Number(row?.bytes), indexBytes: Number(row?.index_bytes) });
  }
  return sizes;
}

async function machine(dataSource: DataSource): Promise<string> {
  const settings = (await dataSource.query(
    `SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'jit', 'random_page_cost')`,
  )) as Array<{ name: string; setting: string; unit: string | null }>;
  const pg = Object.fromEntries(settings.map((s) => [s.name, s.unit === '8kB' ? `${(Number(s.setting) * 8) / 1024} MB` : s.setting]));
  const cpus = os.cpus();
  return (
    `Machine: ${cpus.length} cores (${cpus[0]?.model ?? '?'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB memory, ` +
    `load average ${os.loadavg()[0]?.toFixed(1)} at the start; Node ${process.version}; PostgreSQL ${pg.server_version} ` +
    `(shared_buffers ${pg.shared_buffers}, work_mem ${pg.work_mem} kB, jit ${pg.jit}, random_page_cost ${pg.random_page_cost}).`
  );
}

let databaseUrl: string | undefined;
let dropping: Promise<void> | undefined;
const dropOnce = () =>
  (dropping ??= databaseUrl
    ? dropDatabase(databaseUrl).catch((e: unknown) => log(`could not drop the database: ${String(e)}`))
    : Promise.resolve());

async function main(): Promise<void> {
  const options = parseDataOptions(process.argv.slice(2));
  const startedAt = new Date();
  const runTag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/webhooks_bench_data_${runTag}`;
  databaseUrl = url.toString();
  log(
    `bench-data ${runTag}: ${options.deliveries.toLocaleString('en-US')} deliveries over ${options.days} days into ${url.pathname.slice(1)}`,
  );
  try {
    await migrate(databaseUrl);
    const dataSource = createDataSource(databaseUrl, { poolSize: Math.max(FILL_CONNECTIONS, options.writers) + 2 });
    await dataSource.initialize();
    try {
      await run(dataSource, options, startedAt, runTag);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await dropOnce();
  }
}

async function run(dataSource: DataSource, options: ReturnType<typeof parseDataOptions>, startedAt: Date, runTag: string): Promise<void> {
  const now = new Date();
  const days = planDays(options.deliveries, options.days, now);
  await ensureDayPartitions(dataSource, days[0]!.start, options.days);
  const subscriptions = planSubscriptions(options.subscriptions, ACCOUNTS, randomUUID);
  await insertSubscriptions(dataSource, subscriptions, now);
  const subject = (role: SubscriptionPlan['role']): Subject => {
    const sub = subscriptions.find((s) => s.role === role)!;
    return { accountId: sub.accountId, id: sub.id };
  };
  const machineLine = await machine(dataSource);

  const checkpoint = async (stage: FillStage, deliveries: number): Promise<{ checkpoint: Checkpoint; specs: ReadSpec[] }> => {
    log(`filling stage ${stage} (to ${deliveries.toLocaleString('en-US')} deliveries)`);
    const fillMs = await fillStage(dataSource, days, stage, subscriptions);
    const vacuumMs = await vacuum(dataSource);
    log(`  filled in ${seconds(fillMs)}, VACUUM ANALYZE ${seconds(vacuumMs)}`);
    let mark = performance.now();
    const lap = () => {
      const since = performance.now() - mark;
      mark += since;
      return seconds(since);
    };
    const sizes = await tableSizes(dataSource);
    log(`  sizes counted in ${lap()}`);
    const specs = await prepareReads(dataSource, subject('healthy'), subject('failing'), new Date());
    log(`  reads set up (the deep page's cursor followed) in ${lap()}`);
    const reads = await timeReads(specs, options.reps);
    for (const read of reads) log(`  ${read.name}: ${read.medianMs.toFixed(1)} ms (${read.rows} rows)`);
    log(`  reads timed in ${lap()}`);
    return { checkpoint: { deliveries, fillMs, vacuumMs, sizes, reads }, specs };
  };
  const tenth = days.reduce((n, day) => n + stageRows(day.rows, 1), 0);
  const { checkpoint: small } = await checkpoint(1, tenth);
  const { checkpoint: large, specs } = await checkpoint(2, options.deliveries);

  const plans: Array<{ slow: boolean; read: ExplainedRead }> = [];
  for (const read of large.reads) {
    const slow = read.medianMs > EXPLAIN_ABOVE_MS;
    const spec = specs.find((s) => s.name === read.name);
    if (spec && (slow || options.explain)) plans.push({ slow, read: await explainRead(dataSource, spec) });
  }

  const retired = days.slice(0, 3).map((d) => d.day);
  log(`insert path: ${options.writers} loops, two windows of ${seconds(options.windowMs)}; retiring ${retired.join(', ')} in the second`);
  const insertStarted = performance.now();
  const insert = await runInsertPath(dataSource, subject('other'), {
    writers: options.writers,
    windowMs: options.windowMs,
    days: retired,
    runTag,
  });

  log(`  done in ${seconds(performance.now() - insertStarted)}`);
  for (const r of insert.all ?? [insert.retirement]) {
    if (!r.gone) log(`the retirement left ${r.day}'s partitions in place (outcome ${r.outcome})`);
  }
  const durationMs = Date.now() - startedAt.getTime();
  process.stdout.write(
    `\n${sizesTable(small, large)}\n\n${readsTable(small, large)}\n\n${insertTable(insert)}\n\n${retirementLine(insert)}\n`,
  );
  if (plans.length > 0) process.stdout.write(`\n${plans.map((p) => planText(p.read)).join('\n')}\n`);
  if (options.docs) {
    const info = {
      startedAt: startedAt.toISOString(),
      durationMs,
      days: options.days,
      subscriptions: options.subscriptions,
      reps: options.reps,
      machine: machineLine,
      slowReadPlans:
        plans
          .filter((p) => p.slow)
          .map((p) => planDigest(p.read))
          .join('\n\n') || undefined,
    };
    const current = existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : '# Benchmarks\n';
    writeFileSync(DOCS_FILE, placeDataSection(current, renderDataSection(info, small, large, insert)));
    log(`wrote ${path.relative(process.cwd(), DOCS_FILE)}`);
  }
  log(`total ${seconds(durationMs)} (database dropped next)`);
  process.stdout.write(`${summaryLine(small, large, insert)}\n`);
}

let abandoning = false;
const abandon = (code: number) => {
  abandoning = true;
  void dropOnce().finally(() => process.exit(code));
};

const hardLimit = setTimeout(() => {
  log(`bench-data: exceeded ${HARD_LIMIT_MS / 60_000} minutes; dropping the database`);
  abandon(2);
}, HARD_LIMIT_MS);
hardLimit.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`bench-data: ${signal}; dropping the database`);
    abandon(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Dropping the database on a signal ends this run's queries with errors: the signal's exit code stands.
    if (abandoning) return;
    log(`bench-data failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    abandon(1);
  },
);
