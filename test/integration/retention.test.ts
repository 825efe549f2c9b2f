/**
 * Retention on the real parts: retentionWorkflow on a worker retires the expired days whole except those still going
 * on (a PENDING delivery, an undispatched event), and deletes in batches what is older than its window outside day
 * partitions; the worker's start-up registration leaves exactly one Schedule however often it runs, and the
 * Schedule's runs do the retiring. test/integration/day-partitions.test.ts follows a delivery through a kept day.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/app/data-source';
import { createLogger } from '../../src/logger';
import { dayOf, ensureDayPartitions } from '../../src/retention/partitions';
import { registerRetentionSchedule, retentionScheduleId, RETENTION_WORKFLOW_TYPE } from '../../src/retention/retention-schedule';
import type { RetentionResult } from '../../workflows/retention.types';
import { testConfig, waitFor } from '../helpers/engine';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

jest.setTimeout(120_000);

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Rows of three expired days and of today, deliveries whose event was never stored (outside day partitions), and
 * rejected messages. Day A (3 days ago) has only finished deliveries: it goes whole. Day B (4 days ago) holds a PENDING
 * delivery and day C (5 days ago) an event not dispatched yet: each is kept whole, its finished rows too.
 */
async function seed(dataSource: DataSource, label: string) {
  const tag = `${label}-${randomBytes(4).toString('hex')}`;
  const at = (ageMs: number) => new Date(Date.now() - ageMs);
  await ensureDayPartitions(dataSource, at(5 * DAY_MS), 6);
  const event = async (name: string, ageMs: number, dispatched = true) => {
    const id = `evt-${tag}-${name}`;
    await dataSource.query(
      `INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at) VALUES ($1, $2, 'CONVERSATION_CREATED', '{}', $3, $4)`,
      [id, `acct-${tag}`, at(ageMs), dispatched ? at(ageMs) : null],
    );
    return id;
  };
  /** A delivery of `eventId` (received `eventAgeMs` ago; null: an event never stored), last changed `ageMs` ago. */
  const delivery = async (eventId: string, eventAgeMs: number | null, status: string, ageMs: number, attempts: number) => {
    const id = randomUUID();
    const key = eventAgeMs === null ? '-infinity' : at(eventAgeMs);
    await dataSource.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempts, workflow_id, created_at, updated_at,
                                       event_received_at)
       VALUES ($1, $2, $3, $4, 'CONVERSATION_CREATED', $5, $6, $7, $8, $8, $9)`,
      [id, randomUUID(), `acct-${tag}`, eventId, status, attempts, `delivery:${eventId}:x`, at(ageMs), key],
    );
    for (let n = 1; n <= attempts; n += 1) {
      await dataSource.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, event_received_at)
         VALUES ($1, 'run', $2, $2, $3, 5, 500, $4)`,
        [id, n, at(ageMs), key],
      );
    }
    return id;
  };
  const rejected = async (ageMs: number) => {
    const rows: Array<{ id: string }> = await dataSource.query(
      `INSERT INTO rejected_messages (channel, raw, reason, received_at) VALUES ($1, 'nope', 'not JSON', $2) RETURNING id`,
      [`chan-${tag}`, at(ageMs)],
    );
    return rows[0].id;
  };

  const dayA = 3 * DAY_MS;
  const dayB = 4 * DAY_MS;
  const dayC = 5 * DAY_MS;
  const oldEvent = await event('old', dayA);
  const pendingEvent = await event('pending', dayB);
  const keptEvent = await event('kept', dayB);
  const newEvent = await event('new', 0);
  return {
    oldEvent,
    oldEventWithoutDeliveries: await event('lonely', dayA),
    oldSuccess: await delivery(oldEvent, dayA, 'SUCCESS', dayA, 2),
    // Retried an hour ago: its day goes all the same (a day is retired whole once nothing of it is going on).
    oldRetried: await delivery(oldEvent, dayA, 'FAILURE', HOUR_MS, 3),
    pendingEvent,
    oldPending: await delivery(pendingEvent, dayB, 'PENDING', dayB, 4),
    keptEvent,
    keptSuccess: await delivery(keptEvent, dayB, 'SUCCESS', dayB, 1),
    oldUndispatchedEvent: await event('undispatched', dayC, false),
    newEvent,
    newSuccess: await delivery(newEvent, 0, 'SUCCESS', HOUR_MS, 1),
    orphanFinished: await delivery(`evt-${tag}-gone-1`, null, 'FAILURE', dayA, 2),
    orphanRecent: await delivery(`evt-${tag}-gone-2`, null, 'FAILURE', HOUR_MS, 1),
    orphanPending: await delivery(`evt-${tag}-gone-3`, null, 'PENDING', dayA, 1),
    oldRejected: await rejected(dayA),
    newRejected: await rejected(HOUR_MS),
  };
}

async function exists(dataSource: DataSource, table: string, id: string): Promise<boolean> {
  const rows = await dataSource.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  return rows.length === 1;
}

async function attemptsOf(dataSource: DataSource, deliveryId: string): Promise<number> {
  const rows: Array<{ n: number }> = await dataSource.query(
    `SELECT count(*)::int AS n FROM webhook_delivery_attempts WHERE delivery_id = $1`,
    [deliveryId],
  );
  return rows[0].n;
}

async function expectOnlyExpiredGone(dataSource: DataSource, rows: Awaited<ReturnType<typeof seed>>) {
  // Gone: day A whole, the old finished delivery whose event was never stored, the old rejected message.
  for (const id of [rows.oldSuccess, rows.oldRetried, rows.orphanFinished]) {
    expect(await exists(dataSource, 'webhook_deliveries', id)).toBe(false);
    expect(await attemptsOf(dataSource, id)).toBe(0);
  }
  expect(await exists(dataSource, 'webhook_events', rows.oldEvent)).toBe(false);
  expect(await exists(dataSource, 'webhook_events', rows.oldEventWithoutDeliveries)).toBe(false);
  expect(await exists(dataSource, 'rejected_messages', rows.oldRejected)).toBe(false);

  // Kept: day B whole (a PENDING delivery, with every attempt), day C (an event not dispatched yet), today, the
  // orphans still going on or changed lately, the recent rejected message.
  expect(await exists(dataSource, 'webhook_deliveries', rows.oldPending)).toBe(true);
  expect(await attemptsOf(dataSource, rows.oldPending)).toBe(4);
  expect(await exists(dataSource, 'webhook_events', rows.pendingEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.keptSuccess)).toBe(true);
  expect(await exists(dataSource, 'webhook_events', rows.keptEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_events', rows.oldUndispatchedEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.newSuccess)).toBe(true);
  expect(await attemptsOf(dataSource, rows.newSuccess)).toBe(1);
  expect(await exists(dataSource, 'webhook_events', rows.newEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.orphanRecent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.orphanPending)).toBe(true);
  expect(await exists(dataSource, 'rejected_messages', rows.newRejected)).toBe(true);
}

describe('retention', () => {
  // A one-day window against rows three days old (and rows an hour old), in batches of 2 rows.
  const config = testConfig('retention', { WEBHOOKS_RETENTION_DAYS: '1', WEBHOOKS_RETENTION_BATCH_SIZE: '2' });
  let dataSource: DataSource;
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundle;
  let worker: TestWorker;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    dataSource = createDataSource(config.databaseUrl, { poolSize: 3 });
    await dataSource.initialize();
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
    client = new Client({ connection, namespace: config.temporal.namespace });
    worker = await startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle });
  });
  afterAll(async () => {
    await client?.schedule
      .getHandle(retentionScheduleId(config.temporal.taskQueue))
      .delete()
      .catch(() => undefined);
    await worker?.stop();
    await connection?.close();
    await dataSource?.destroy();
  });

  it('retires the expired days but those still going on, deletes in batches what is outside them, never a PENDING delivery', async () => {
    const rows = await seed(dataSource, 'run');
    const result: RetentionResult = await client.workflow.execute(RETENTION_WORKFLOW_TYPE, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `retention-test-${randomBytes(4).toString('hex')}`,
      args: [{ retentionDays: 1, batchSize: 2 }],
    });
    // (Counts are not asserted: another file's retention run may take some of these rows first; the state is.)
    expect(result.partitions?.kept.map((kept) => kept.day)).toEqual(
      expect.arrayContaining([dayOf(new Date(Date.now() - 4 * DAY_MS)), dayOf(new Date(Date.now() - 5 * DAY_MS))]),
    );
    expect(result.more).toBe(false);
    expect(Date.now() - Date.parse(result.before)).toBeGreaterThanOrEqual(DAY_MS);
    await expectOnlyExpiredGone(dataSource, rows);
  });

  it('has exactly one Schedule after two worker starts, following the latest config, whose runs delete', async () => {
    const logger = createLogger('retention-test', 'silent');
    const first = registerRetentionSchedule({
      client,
      config: testConfig('unused', { WEBHOOKS_RETENTION_DAYS: '7', TEMPORAL_TASK_QUEUE: config.temporal.taskQueue }),
      logger,
    });
    await first.done;
    const second = registerRetentionSchedule({ client, config, logger });
    await second.done;

    const scheduleId = retentionScheduleId(config.temporal.taskQueue);
    const listed = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const schedule of client.schedule.list())
          if (schedule.scheduleId.startsWith('webhooks-retention:')) ids.push(schedule.scheduleId);
        return ids.includes(scheduleId) ? ids : null;
      },
      20_000,
      'the schedule in the list',
    );
    expect(listed.filter((id) => id === scheduleId)).toHaveLength(1);

    const description = await client.schedule.getHandle(scheduleId).describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: RETENTION_WORKFLOW_TYPE,
      taskQueue: config.temporal.taskQueue,
    });
    expect(description.action.type === 'startWorkflow' && description.action.args).toEqual([{ retentionDays: 1, batchSize: 2 }]);
    expect(description.spec.intervals).toMatchObject([{ every: 60 * 60 * 1000 }]);

    // A run of the schedule (triggered now rather than waiting for the hour) deletes like the workflow above.
    const rows = await seed(dataSource, 'schedule');
    const runsBefore = description.info.numActionsTaken;
    await client.schedule.getHandle(scheduleId).trigger();
    await waitFor(
      async () => {
        const now = await client.schedule.getHandle(scheduleId).describe();
        const run = now.info.recentActions.at(-1);
        if (now.info.numActionsTaken <= runsBefore || !run) return false;
        const status = (await client.workflow.getHandle(run.action.workflow.workflowId, run.action.workflow.firstExecutionRunId).describe())
          .status.name;
        return status === 'COMPLETED';
      },
      60_000,
      'the triggered retention run to complete',
    );
    await expectOnlyExpiredGone(dataSource, rows);
  });
});
