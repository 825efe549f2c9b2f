/**
 * Retention on the real parts: retentionWorkflow on a worker deletes, in batches, what is older than its window and
 * leaves PENDING deliveries (and their events) alone; the worker's start-up registration leaves exactly one
 * Schedule however often it runs, and the Schedule's runs do the deleting.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/app/data-source';
import { createLogger } from '../../src/logger';
import { registerRetentionSchedule, retentionScheduleId, RETENTION_WORKFLOW_TYPE } from '../../src/retention/retention-schedule';
import type { RetentionResult } from '../../workflows/retention.types';
import { testConfig, waitFor } from '../helpers/engine';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

jest.setTimeout(120_000);

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Rows aged `ageMs` (deliveries by their last change, events and rejected messages by arrival). */
async function seed(dataSource: DataSource, label: string) {
  const tag = `${label}-${randomBytes(4).toString('hex')}`;
  const at = (ageMs: number) => new Date(Date.now() - ageMs);
  const event = async (name: string, ageMs: number, dispatched = true) => {
    const id = `evt-${tag}-${name}`;
    await dataSource.query(
      `INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at) VALUES ($1, $2, 'CONVERSATION_CREATED', '{}', $3, $4)`,
      [id, `acct-${tag}`, at(ageMs), dispatched ? at(ageMs) : null],
    );
    return id;
  };
  const delivery = async (eventId: string, status: string, ageMs: number, attempts: number) => {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempts, workflow_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'CONVERSATION_CREATED', $5, $6, $7, $8, $8)`,
      [id, randomUUID(), `acct-${tag}`, eventId, status, attempts, `delivery:${eventId}:x`, at(ageMs)],
    );
    for (let n = 1; n <= attempts; n += 1) {
      await dataSource.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code)
         VALUES ($1, 'run', $2, $2, $3, 5, 500)`,
        [id, n, at(ageMs)],
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

  const oldEvent = await event('old', 3 * DAY_MS);
  const pendingEvent = await event('pending', 3 * DAY_MS);
  const retriedEvent = await event('retried', 3 * DAY_MS);
  const newEvent = await event('new', HOUR_MS);
  return {
    oldEvent,
    pendingEvent,
    retriedEvent,
    newEvent,
    oldEventWithoutDeliveries: await event('lonely', 3 * DAY_MS),
    oldUndispatchedEvent: await event('undispatched', 3 * DAY_MS, false),
    oldSuccess: await delivery(oldEvent, 'SUCCESS', 3 * DAY_MS, 2),
    oldFailure: await delivery(oldEvent, 'FAILURE', 2 * DAY_MS, 3),
    oldPending: await delivery(pendingEvent, 'PENDING', 3 * DAY_MS, 4),
    // An old event whose delivery was retried an hour ago: both stay.
    recentlyRetried: await delivery(retriedEvent, 'SUCCESS', HOUR_MS, 2),
    newSuccess: await delivery(newEvent, 'SUCCESS', HOUR_MS, 1),
    oldRejected: await rejected(3 * DAY_MS),
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
  expect(await exists(dataSource, 'webhook_deliveries', rows.oldSuccess)).toBe(false);
  expect(await exists(dataSource, 'webhook_deliveries', rows.oldFailure)).toBe(false);
  expect(await attemptsOf(dataSource, rows.oldSuccess)).toBe(0);
  expect(await attemptsOf(dataSource, rows.oldFailure)).toBe(0);
  expect(await exists(dataSource, 'webhook_events', rows.oldEvent)).toBe(false);
  expect(await exists(dataSource, 'webhook_events', rows.oldEventWithoutDeliveries)).toBe(false);
  expect(await exists(dataSource, 'rejected_messages', rows.oldRejected)).toBe(false);

  // Kept: the PENDING delivery with every attempt and its event, a delivery retried lately with its old event,
  // everything newer than the window, and an event not dispatched yet.
  expect(await exists(dataSource, 'webhook_deliveries', rows.oldPending)).toBe(true);
  expect(await attemptsOf(dataSource, rows.oldPending)).toBe(4);
  expect(await exists(dataSource, 'webhook_events', rows.pendingEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.recentlyRetried)).toBe(true);
  expect(await exists(dataSource, 'webhook_events', rows.retriedEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_deliveries', rows.newSuccess)).toBe(true);
  expect(await attemptsOf(dataSource, rows.newSuccess)).toBe(1);
  expect(await exists(dataSource, 'webhook_events', rows.newEvent)).toBe(true);
  expect(await exists(dataSource, 'webhook_events', rows.oldUndispatchedEvent)).toBe(true);
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

  it('deletes in batches only what is older than the window and never a PENDING delivery or its event', async () => {
    const rows = await seed(dataSource, 'run');
    const result: RetentionResult = await client.workflow.execute(RETENTION_WORKFLOW_TYPE, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `retention-test-${randomBytes(4).toString('hex')}`,
      args: [{ retentionDays: 1, batchSize: 2 }],
    });
    expect(result.deliveries).toBeGreaterThanOrEqual(2);
    expect(result.attempts).toBeGreaterThanOrEqual(5);
    expect(result.events).toBeGreaterThanOrEqual(2);
    expect(result.rejectedMessages).toBeGreaterThanOrEqual(1);
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
