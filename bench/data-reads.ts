/**
 * The API's reads of the delivery log, timed through the engine's own read code (createDeliveryReadRepository, which
 * the routers call): each read warmed up, then run `reps` times one after another; the median is its figure.
 */
import { performance } from 'node:perf_hooks';
import type { DataSource, Logger } from 'typeorm';
import { MAX_PAGE_SIZE } from '../src/api/subscriptions.schemas';
import type { KeysetPosition } from '../src/db/keyset-page';
import { createDeliveryReadRepository } from '../src/deliveries/delivery-read.repository';
import { DeliveryStatus } from '../src/deliveries/delivery.entity';
import { RECOVER_MAX_AGE_DAYS, RECOVER_MAX_DELIVERIES } from '../src/deliveries/recover-window';
import { median, type ExplainedRead, type ReadResult } from './data-report';

const WARM_UP_RUNS = 3;
const PAGE = 50;
/** How deep the deep page is: this share of the subscription's deliveries lies before it (newest first). */
const DEEP_SHARE = 0.9;

export interface Subject {
  readonly accountId: string;
  readonly id: string;
}

export interface ReadSpec {
  readonly name: string;
  readonly describe: string;
  /** Runs the read once; returns the rows it got. */
  readonly run: () => Promise<number>;
}

/**
 * The reads, set up at the current volume: the deep page's cursor is reached the way a client reaches it, following
 * `next` page after page (at the API's largest page size), and the delivery read alone is one from there.
 */
export async function prepareReads(dataSource: DataSource, healthy: Subject, failing: Subject, now: Date): Promise<ReadSpec[]> {
  const reads = createDeliveryReadRepository(dataSource);
  const [{ n }] = (await dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1`, [
    healthy.id,
  ])) as [{ n: number }];
  const depth = Math.floor(n * DEEP_SHARE);
  let after: KeysetPosition | undefined;
  let skipped = 0;
  while (skipped + MAX_PAGE_SIZE <= depth) {
    const page = await reads.listForSubscription(healthy.accountId, healthy.id, { limit: MAX_PAGE_SIZE, after });
    skipped += page.rows.length;
    if (!page.next) break;
    after = page.next;
  }
  const deepPage = await reads.listForSubscription(healthy.accountId, healthy.id, { limit: PAGE, after });
  const one = deepPage.rows[0];
  if (!one) throw new Error(`the healthy subscription has no delivery ${skipped} deep`);
  const window = { since: new Date(now.getTime() - RECOVER_MAX_AGE_DAYS * 86_400_000).toISOString(), until: now.toISOString() };
  const page = { limit: PAGE };
  return [
    {
      name: 'first page',
      describe: `listForSubscription(healthy, {limit: ${PAGE}})`,
      run: async () => (await reads.listForSubscription(healthy.accountId, healthy.id, page)).rows.length,
    },
    {
      name: 'deep page',
      describe: `listForSubscription(healthy, {limit: ${PAGE}, after}) ${skipped.toLocaleString('en-US')} deliveries deep`,
      run: async () => (await reads.listForSubscription(healthy.accountId, healthy.id, { ...page, after })).rows.length,
    },
    {
      name: 'FAILURE, healthy',
      describe: `listForSubscription(healthy, {limit: ${PAGE}, status: FAILURE})`,
      run: async () =>
        (await reads.listForSubscription(healthy.accountId, healthy.id, { ...page, status: DeliveryStatus.FAILURE })).rows.length,
    },
    {
      name: 'FAILURE, failing',
      describe: `listForSubscription(failing, {limit: ${PAGE}, status: FAILURE})`,
      run: async () =>
        (await reads.listForSubscription(failing.accountId, failing.id, { ...page, status: DeliveryStatus.FAILURE })).rows.length,
    },
    {
      name: 'one delivery',
      describe: 'findForAccount + listAttempts + findPayload (GET /deliveries/:id)',
      run: async () => {
        const delivery = await reads.findForAccount(healthy.accountId, one.id);
        if (!delivery) throw new Error(`delivery ${one.id} not found`);
        const attempts = await reads.listAttempts(delivery.id);
        const payload = await reads.findPayload(healthy.accountId, delivery.eventId);
        if (payload.payload === null) throw new Error(`event ${delivery.eventId} has no payload`);
        return 1 + attempts.length;
      },
    },
    {
      name: 'recover',
      describe: `listFailedInWindow(failing, last ${RECOVER_MAX_AGE_DAYS} days, ${RECOVER_MAX_DELIVERIES})`,
      run: async () => (await reads.listFailedInWindow(failing.accountId, failing.id, window, RECOVER_MAX_DELIVERIES)).rows.length,
    },
  ];
}

export async function timeReads(specs: readonly ReadSpec[], reps: number): Promise<ReadResult[]> {
  const results: ReadResult[] = [];
  for (const spec of specs) {
    for (let i = 0; i < WARM_UP_RUNS; i += 1) await spec.run();
    const samples: number[] = [];
    let rows = 0;
    for (let i = 0; i < reps; i += 1) {
      const started = performance.now();
      rows = await spec.run();
      samples.push(performance.now() - started);
    }
    results.push({ name: spec.name, describe: spec.describe, medianMs: median(samples), rows });
  }
  return results;
}

/** EXPLAIN (ANALYZE, BUFFERS) of every statement a read runs, captured from TypeORM's logger while it runs once. */
export async function explainRead(dataSource: DataSource, spec: ReadSpec): Promise<ExplainedRead> {
  const statements: Array<{ sql: string; parameters: unknown[] }> = [];
  const original = dataSource.logger;
  const capture: Logger = {
    logQuery: (sql, parameters) => statements.push({ sql, parameters: Array.isArray(parameters) ? parameters : [] }),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  dataSource.logger = capture;
  try {
    await spec.run();
  } finally {
    dataSource.logger = original;
  }
  const explained: ExplainedRead = { name: spec.name, describe: spec.describe, statements: [] };
  for (const { sql, parameters } of statements) {
    const plan = (await dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters)) as Array<{ 'QUERY PLAN': string }>;
    explained.statements.push({ sql: sql.replace(/\s+/g, ' ').trim(), plan: plan.map((row) => row['QUERY PLAN']) });
  }
  return explained;
}
