/**
 * How long migration 1765700000000-day-partitions holds its lock on an installation of a given size: creates a
 * database of its own at the schema before it, bulk-loads N deliveries (one ~1 KB event each, 1.2 attempts on
 * average, 30 days), ANALYZEs, applies the migration and times it (the whole migration runs under its ACCESS EXCLUSIVE
 * lock), then drops the database. Prints the time and the rate.
 *
 *   npx ts-node --transpile-only bench/migration-copy.ts [--deliveries=N (default 1,000,000)]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '../src/app/data-source';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database';

const TARGET = 'DayPartitions1765700000000';
const argv = process.argv.slice(2);
const deliveries = Number(argv.find((a) => a.startsWith('--deliveries='))?.split('=')[1] ?? 1_000_000);
if (!Number.isInteger(deliveries) || deliveries < 1) throw new Error('--deliveries must be a positive integer');

/** The previous schema's three tables, N rows over 30 days: events first, then a delivery each, then attempts. */
const FILL_SQL = [
  `INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at)
   SELECT 'evt_' || g, 'acct_' || (g % 20), 'NEW_MESSAGE_FROM_VISITOR',
          '{"id":"evt_' || g || '","data":{"text":"' || repeat('x', 900) || '"}}',
          now() - (g % 2592000) * interval '1 second', now() - (g % 2592000) * interval '1 second'
     FROM generate_series(1, $1::int) AS g`,
  `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempts, attempt_seq,
                                   last_status_code, workflow_id, created_at, updated_at)
   SELECT md5('d' || g)::uuid, md5('s' || (g % 100))::uuid, 'acct_' || (g % 20), 'evt_' || g, 'NEW_MESSAGE_FROM_VISITOR',
          CASE WHEN g % 50 = 0 THEN 'FAILURE' WHEN g % 997 = 0 THEN 'PENDING' ELSE 'SUCCESS' END, 1 + (g % 5 = 0)::int,
          1 + (g % 5 = 0)::int, 200, 'delivery:evt_' || g, now() - (g % 2592000) * interval '1 second',
          now() - (g % 2592000) * interval '1 second'
     FROM generate_series(1, $1::int) AS g`,
  `INSERT INTO webhook_delivery_attempts (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code)
   SELECT md5('d' || g)::uuid, 'run', a, a, now() - (g % 2592000) * interval '1 second', 25, 200
     FROM generate_series(1, $1::int) AS g, generate_series(1, 1 + (g % 5 = 0)::int) AS a`,
];

async function main(): Promise<void> {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/webhooks_migration_copy_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(url.toString());
  const previous = MIGRATIONS.slice(
    0,
    MIGRATIONS.findIndex((m) => m.name === TARGET),
  );
  const open = (migrations: typeof MIGRATIONS) =>
    new DataSource({ type: 'postgres', url: url.toString(), entities: ENTITIES, migrations, synchronize: false, logging: false });
  try {
    const before = open(previous);
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    const filling = performance.now();
    for (const sql of FILL_SQL) await before.query(sql, [deliveries]);
    await before.query('VACUUM ANALYZE');
    const [{ size }] = (await before.query(
      `SELECT pg_size_pretty(sum(pg_total_relation_size(c))::bigint) AS size
         FROM unnest(ARRAY['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts']::regclass[]) AS c`,
    )) as Array<{ size: string }>;
    console.log(`filled ${deliveries.toLocaleString('en')} deliveries (${size}) in ${((performance.now() - filling) / 1000).toFixed(1)} s`);
    await before.destroy();

    const after = open(MIGRATIONS);
    await after.initialize();
    const started = performance.now();
    const applied = await after.runMigrations({ transaction: 'each' });
    const seconds = (performance.now() - started) / 1000;
    await after.destroy();
    if (applied.map((m) => m.name).join() !== TARGET)
      throw new Error(`expected only ${TARGET}, applied ${applied.map((m) => m.name).join()}`);
    console.log(
      `migration-copy: deliveries=${deliveries} seconds=${seconds.toFixed(1)} deliveries_per_s=${Math.round(deliveries / seconds)} size=${size}`,
    );
  } finally {
    await dropDatabase(url.toString());
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
