/**
 * Retention by day partitions on the real parts (a worker on the Temporal dev server, Postgres, Redis, a receiver):
 * a run of retentionWorkflow creates the days ahead and drops the partitions of a day past the window with
 * everything of it, after which the API answers for its deliveries as for any missing one; a day that still holds a
 * PENDING delivery is kept whole, the delivery completes in it, and the next run retires the day.
 *
 * The days used here are weeks old, so that no other test file's rows (which use the last few days, or no day
 * partition) share them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { serialiseEnvelope } from '../../src/events/envelope';
import { dayOf, ensureDayPartitions, listDays } from '../../src/retention/partitions';
import { RETENTION_WORKFLOW_TYPE } from '../../src/retention/retention-schedule';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import type { RetentionResult } from '../../workflows/retention.types';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

jest.setTimeout(120_000);

const DAY_MS = 24 * 60 * 60 * 1000;
const noon = (daysAgo: number) => new Date(Date.parse(`${dayOf(new Date(Date.now() - daysAgo * DAY_MS))}T12:00:00Z`));
const tablesOf = (day: string) =>
  ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'].map((table) => `${table}_p${day.replaceAll('-', '')}`);

describe('retention by day partitions', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let account: { accountId: string; key: string };
  let subscription: { id: string };

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('day-partitions', { WEBHOOKS_RETRY_MAX_ATTEMPTS: '1000' }), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
      listenerOptions: { sweepIntervalMs: 300, dispatcher: { sweepMinAgeMs: 300 } },
    });
    account = await engine.newAccount('days');
    subscription = (await engine.request('POST', '/webhooks/subscriptions', account.key, { url: `${receiver.origin}/days`, events: ['*'] }))
      .body;
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });

  const partitionsOf = async (day: string) => {
    const rows: Array<{ name: string | null }> = await engine.dataSource.query(
      `SELECT to_regclass(t)::text AS name FROM unnest($1::text[]) t`,
      [tablesOf(day)],
    );
    return rows.map((row) => row.name).filter((name) => name !== null);
  };

  /**
   * Runs retentionWorkflow and checks that the day's partitions are gone afterwards (or still there, with `kept`).
   * Another test file's retention run may retire the day first: then this run finds nothing of it to retire.
   */
  async function retire(day: string): Promise<void> {
    const had = (await partitionsOf(day)).length > 0;
    const result = await runRetention();
    if (had) expect(result.partitions?.retired).toContain(day);
    expect(await partitionsOf(day)).toEqual([]);
  }

  const runRetention = (): Promise<RetentionResult> =>
    engine.temporal.workflow.execute(RETENTION_WORKFLOW_TYPE, {
      taskQueue: engine.config.temporal.taskQueue,
      workflowId: `retention-days-${randomBytes(4).toString('hex')}`,
      args: [{ retentionDays: 1, batchSize: 100 }],
    });

  /** An event received at `at`, dispatched, with one finished delivery to the subscription and its attempts. */
  async function finishedDelivery(at: Date, status: 'SUCCESS' | 'FAILURE', attempts: number) {
    const event = newEvent(account.accountId);
    await engine.dataSource.query(
      `INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at) VALUES ($1, $2, $3, $4, $5, $5)`,
      [event.id, account.accountId, event.type, serialiseEnvelope(event), at],
    );
    const id = randomUUID();
    await engine.dataSource.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempts, attempt_seq,
                                       workflow_id, created_at, updated_at, event_received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $9, $9)`,
      [id, subscription.id, account.accountId, event.id, event.type, status, attempts, deliveryWorkflowId(event.id, subscription.id), at],
    );
    for (let n = 1; n <= attempts; n += 1) {
      await engine.dataSource.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, event_received_at)
         VALUES ($1, 'run', $2, $2, $3, 5, 500, $3)`,
        [id, n, at],
      );
    }
    return { eventId: event.id, deliveryId: id };
  }

  it('creates the days ahead and drops a day past the window with its events, deliveries and attempts', async () => {
    const at = noon(21);
    const day = dayOf(at);
    await ensureDayPartitions(engine.dataSource, at, 1);
    expect(await partitionsOf(day)).toEqual(tablesOf(day));
    const success = await finishedDelivery(at, 'SUCCESS', 1);
    const failure = await finishedDelivery(at, 'FAILURE', 3);
    expect((await engine.request('GET', `/webhooks/deliveries/${failure.deliveryId}`, account.key)).status).toBe(200);

    await retire(day);
    const [left] = await engine.dataSource.query(
      `SELECT (SELECT count(*) FROM webhook_events WHERE id = ANY($1))::int AS events,
              (SELECT count(*) FROM webhook_deliveries WHERE id = ANY($2))::int AS deliveries,
              (SELECT count(*) FROM webhook_delivery_attempts WHERE delivery_id = ANY($2))::int AS attempts`,
      [
        [success.eventId, failure.eventId],
        [success.deliveryId, failure.deliveryId],
      ],
    );
    expect(left).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    // Today and the days ahead exist.
    const days = await listDays(engine.dataSource);
    for (let ahead = 0; ahead <= 7; ahead += 1) expect(days).toContain(dayOf(new Date(Date.now() + ahead * DAY_MS)));

    // The API answers for a retired day as for anything missing.
    for (const id of [success.deliveryId, failure.deliveryId]) {
      const one = await engine.request('GET', `/webhooks/deliveries/${id}`, account.key);
      expect(one.status).toBe(404);
      expect((await engine.request('POST', `/webhooks/deliveries/${id}/retry`, account.key)).status).toBe(404);
    }
    const list = await engine.request('GET', `/webhooks/subscriptions/${subscription.id}/deliveries?status=FAILURE`, account.key);
    expect(list.status).toBe(200);
    expect(list.body.data.map((d: { id: string }) => d.id)).not.toContain(failure.deliveryId);
  });

  it('keeps a day that holds a PENDING delivery, which completes in it; the next run retires the day', async () => {
    const at = noon(20);
    const day = dayOf(at);
    await ensureDayPartitions(engine.dataSource, at, 1);
    // An event of that day the engine has not dispatched yet: the listener's sweep starts its delivery, whose
    // attempts fail until the receiver is told otherwise.
    let answer = 503;
    receiver.setDefault(() => ({ status: answer }));
    const event = newEvent(account.accountId);
    await engine.dataSource.query(`INSERT INTO webhook_events (id, account_id, type, body, received_at) VALUES ($1, $2, $3, $4, $5)`, [
      event.id,
      account.accountId,
      event.type,
      serialiseEnvelope(event),
      at,
    ]);
    const pending = await waitFor(
      async () => {
        const [row] = await engine.dataSource.query(
          `SELECT id, status, attempts, tableoid::regclass::text AS partition FROM webhook_deliveries WHERE event_id = $1`,
          [event.id],
        );
        return row?.status === 'PENDING' && row.attempts >= 2 ? row : null;
      },
      30_000,
      'the delivery PENDING after two failed attempts',
    );
    expect(pending.partition).toBe(tablesOf(day)[1]);

    const kept = await runRetention();
    expect(kept.partitions?.retired).not.toContain(day);
    expect(kept.partitions?.kept).toContainEqual({ day, pending: 1, undispatched: 0 });
    expect(await partitionsOf(day)).toEqual(tablesOf(day));

    answer = 200;
    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id));
    await handle.result();
    const [done] = await engine.dataSource.query(
      `SELECT d.status, d.attempts, (SELECT count(*)::int FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id) AS logged
         FROM webhook_deliveries d WHERE d.id = $1`,
      [pending.id],
    );
    expect(done.status).toBe('SUCCESS');
    expect(done.logged).toBe(done.attempts);
    const got = await engine.request('GET', `/webhooks/deliveries/${pending.id}`, account.key);
    expect(got.body).toMatchObject({ status: 'SUCCESS', eventId: event.id });

    await retire(day);
    expect((await engine.request('GET', `/webhooks/deliveries/${pending.id}`, account.key)).status).toBe(404);
  });
});
