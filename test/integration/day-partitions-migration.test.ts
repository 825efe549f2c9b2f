/**
 * The day-partitions migration on a database the previous schema filled: events of many days (dispatched and not),
 * deliveries in every state (PENDING with a live claim and an attempt in flight, SUCCESS, FAILURE, waiting in a lane,
 * one whose event is gone), their attempts. After it every row is in its day's partition with the same values, the
 * engine's own statements find the old rows (a re-published event is a duplicate, an attempt on an old PENDING
 * delivery updates it rather than adding a second row), and undoing it gives back the previous tables.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource, ENTITIES, MIGRATIONS } from '../../src/app/data-source';
import { dropDatabase, ensureDatabase } from '../../src/db/ensure-database';
import { createDeliveryReadRepository } from '../../src/deliveries/delivery-read.repository';
import { DeliveryStatus } from '../../src/deliveries/delivery.entity';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { createEventRepository } from '../../src/events/event.repository';
import { deliveryWorkflowId } from '../../src/temporal/contract';

jest.setTimeout(120_000);

const DAY_MS = 24 * 60 * 60 * 1000;
const PREVIOUS = MIGRATIONS.slice(
  0,
  MIGRATIONS.findIndex((m) => m.name === 'DayPartitions1765700000000'),
);

function scratchUrl(): string {
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = `/webhooks_migration_${randomBytes(4).toString('hex')}`;
  return url.toString();
}

const snapshot = async (db: Pick<DataSource, 'query'>) => ({
  events: await db.query(
    `SELECT id, account_id, type, body, received_at, dispatched_at, ordering_key, lane_position::text FROM webhook_events ORDER BY id`,
  ),
  deliveries: await db.query(
    `SELECT id, subscription_id, event_id, status, attempts, attempt_seq, last_status_code, last_error, workflow_id, created_at, updated_at,
            claim_run_id, claim_token, claim_until, ordering_key, lane_position::text, waiting_for, lane_passed_at
       FROM webhook_deliveries ORDER BY id`,
  ),
  attempts: await db.query(
    `SELECT id, delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, in_flight, claim_token
       FROM webhook_delivery_attempts ORDER BY id`,
  ),
});

describe('the day-partitions migration', () => {
  const url = scratchUrl();
  let db: DataSource;
  const subscriptionId = randomUUID();
  const accountId = 'acct-migration';
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS);

  beforeAll(async () => {
    await ensureDatabase(url);
    db = new DataSource({ type: 'postgres', url, entities: ENTITIES, migrations: PREVIOUS, synchronize: false, logging: false });
    await db.initialize();
    await db.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(url);
  });

  async function fill() {
    await db.query(
      `INSERT INTO webhook_subscriptions (id, account_id, url, events, ordered) VALUES ($1, $2, 'https://example.com/h', '{*}', true)`,
      [subscriptionId, accountId],
    );
    const ids: Record<string, { eventId: string; deliveryId: string }> = {};
    const states: Array<[string, number, string, Record<string, unknown>]> = [
      ['success', 40, 'SUCCESS', { attempts: 1, last_status_code: 200 }],
      ['failure', 12, 'FAILURE', { attempts: 3, last_status_code: 500, last_error: 'HTTP 500' }],
      [
        'retrying',
        2,
        'PENDING',
        { attempts: 2, claim_run_id: 'run-1', claim_token: randomUUID(), claim_until: new Date(Date.now() + 60_000) },
      ],
      ['lane-head', 1, 'PENDING', { attempts: 0, ordering_key: 'conv-1', lane_position: '100' }],
      ['lane-waiting', 1, 'PENDING', { attempts: 0, ordering_key: 'conv-1', lane_position: '200' }],
      ['lane-passed', 1, 'SUCCESS', { attempts: 1, ordering_key: 'conv-1', lane_position: '50', lane_passed_at: at(1) }],
      ['today', 0, 'SUCCESS', { attempts: 1, last_status_code: 204 }],
    ];
    for (const [label, daysAgo, status, columns] of states) {
      const eventId = `evt-${label}-${randomBytes(3).toString('hex')}`;
      const deliveryId = randomUUID();
      await db.query(
        `INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at, ordering_key, lane_position)
         VALUES ($1, $2, 'NEW_MESSAGE_FROM_VISITOR', $3, $4, $4, $5, $6)`,
        [
          eventId,
          accountId,
          JSON.stringify({ id: eventId, n: label }),
          at(daysAgo),
          columns.ordering_key ?? null,
          columns.lane_position ?? null,
        ],
      );
      const names = Object.keys(columns);
      await db.query(
        `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempt_seq, workflow_id, created_at, updated_at,
                                         ${names.join(', ')})
         VALUES ($1, $2, $3, $4, 'NEW_MESSAGE_FROM_VISITOR', $5, $6, $7, $8, $8, ${names.map((_, i) => `$${i + 9}`).join(', ')})`,
        [
          deliveryId,
          subscriptionId,
          accountId,
          eventId,
          status,
          columns.attempts,
          deliveryWorkflowId(eventId, subscriptionId),
          at(daysAgo),
          ...Object.values(columns),
        ],
      );
      for (let n = 1; n <= Number(columns.attempts); n += 1) {
        await db.query(
          `INSERT INTO webhook_delivery_attempts (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, in_flight, claim_token)
           VALUES ($1, 'run-1', $2, $2, $3, 12, $4, $5, $6)`,
          [
            deliveryId,
            n,
            at(daysAgo),
            label === 'retrying' && n === 2 ? null : 500,
            label === 'retrying' && n === 2,
            label === 'retrying' && n === 2 ? columns.claim_token : null,
          ],
        );
      }
      ids[label] = { eventId, deliveryId };
    }
    await db.query(`UPDATE webhook_deliveries SET waiting_for = $1 WHERE id = $2`, [
      ids['lane-head'].deliveryId,
      ids['lane-waiting'].deliveryId,
    ]);
    // Not dispatched yet; and a delivery whose event retention already removed.
    await db.query(
      `INSERT INTO webhook_events (id, account_id, type, body, received_at) VALUES ('evt-undispatched', $1, 'CONVERSATION_CREATED', '{}', $2)`,
      [accountId, at(3)],
    );
    await db.query(
      `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, status, workflow_id, created_at, updated_at)
       VALUES ($1, $2, 'evt-gone', 'CONVERSATION_CREATED', 'FAILURE', 'delivery:evt-gone:x', $3, $3)`,
      [subscriptionId, accountId, at(50)],
    );
    return ids;
  }

  it('moves every row into its day partition unchanged; the engine finds the old rows; undoing it restores the tables', async () => {
    const ids = await fill();
    const before = await snapshot(db);

    const migrated = createDataSource(url, { poolSize: 2 });
    await migrated.initialize();
    try {
      expect((await migrated.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(['DayPartitions1765700000000']);
      expect(await snapshot(migrated)).toEqual(before);

      // Each row in its day's partition (the event's day for deliveries and attempts); the orphan outside the days.
      const misplaced = await migrated.query(
        `SELECT 'event' AS kind, id::text FROM webhook_events
          WHERE tableoid::regclass::text <> 'webhook_events_p' || to_char(received_at AT TIME ZONE 'UTC', 'YYYYMMDD')
         UNION ALL
         SELECT 'delivery', d.id::text FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
          WHERE d.event_received_at <> e.received_at
             OR d.tableoid::regclass::text <> 'webhook_deliveries_p' || to_char(e.received_at AT TIME ZONE 'UTC', 'YYYYMMDD')
         UNION ALL
         SELECT 'attempt', a.id::text FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE a.event_received_at <> d.event_received_at`,
      );
      expect(misplaced).toEqual([]);
      const [orphan] = await migrated.query(
        `SELECT tableoid::regclass::text AS partition FROM webhook_deliveries WHERE event_id = 'evt-gone'`,
      );
      expect(orphan.partition).toBe('webhook_deliveries_before');

      // The engine's statements on the old rows: a re-published event is the stored one; the retrying delivery's next
      // attempt updates its row (one row, numbered after its log); the lists read them.
      const events = createEventRepository(migrated);
      const again = await events.store(
        { id: ids.failure.eventId, accountId, type: 'NEW_MESSAGE_FROM_VISITOR', occurredAt: new Date().toISOString(), data: {} },
        '{}',
      );
      expect(again.inserted).toBe(false);
      const deliveries = createDeliveryRepository(migrated);
      const start = {
        eventId: ids.retrying.eventId,
        subscriptionId,
        accountId,
        eventType: 'NEW_MESSAGE_FROM_VISITOR',
        workflowId: deliveryWorkflowId(ids.retrying.eventId, subscriptionId),
      };
      const context = await deliveries.beginAttempt(start, { runId: 'run-2', activityAttempt: 1, token: randomUUID(), forMs: 5_000 });
      expect(context.deliveryId).toBe(ids.retrying.deliveryId);
      expect(context.claim).toEqual({ state: 'claimed' });
      const rows = await migrated.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1`, [ids.retrying.eventId]);
      expect(rows).toEqual([{ n: 1 }]);
      const reads = createDeliveryReadRepository(migrated);
      const page = await reads.listForSubscription(accountId, subscriptionId, { limit: 50, status: DeliveryStatus.FAILURE });
      expect(page.rows.map((d) => d.id).sort()).toEqual(
        [ids.failure.deliveryId, before.deliveries.find((d: { event_id: string }) => d.event_id === 'evt-gone').id].sort(),
      );
      // A store on a day whose partitions do not exist (retention has not run for a week) makes them.
      const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      await migrated.query(`DROP TABLE webhook_delivery_attempts_p${today}, webhook_deliveries_p${today}, webhook_events_p${today}`);
      const fresh = await events.store(
        {
          id: `evt-fresh-${randomBytes(3).toString('hex')}`,
          accountId,
          type: 'CONVERSATION_CREATED',
          occurredAt: new Date().toISOString(),
          data: {},
        },
        '{}',
      );
      expect(fresh.inserted).toBe(true);
      const [made] = await migrated.query(`SELECT tableoid::regclass::text AS partition FROM webhook_events WHERE id = $1`, [
        fresh.event.id,
      ]);
      expect(made.partition).toBe(`webhook_events_p${today}`);

      const beforeUndo = await snapshot(migrated);
      await migrated.undoLastMigration({ transaction: 'each' });
      expect(await snapshot(migrated)).toEqual(beforeUndo);
      const [{ kind }] = await migrated.query(`SELECT relkind AS kind FROM pg_class WHERE oid = 'webhook_deliveries'::regclass`);
      expect(kind).toBe('r');
    } finally {
      await migrated.destroy();
    }
  });
});
