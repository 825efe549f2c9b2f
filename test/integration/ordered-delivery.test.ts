/**
 * Ordered delivery end to end: two listener PROCESSES of one consumer group read the stream, a worker delivers, the
 * receiver answers after a random delay and fails a fifth of first attempts. For an ordered subscription every key's
 * events reach it one at a time, in publish order; different keys progress side by side. A lane whose head ends
 * FAILURE goes on; switching the subscription off ends the deliveries that wait; the API shows what each waits for.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, SHORT_RETRY_ENV, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { expectRepeatsOnlyOfUnrecordedAnswers, laneEvents, startLaneReceiver, type LaneReceiver } from '../helpers/lane-receiver';
import { spawnListener, type ListenerProcess } from '../helpers/listener-process';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, type StreamPublisher } from '../helpers/redis';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

jest.setTimeout(420_000);

describe('ordered delivery', () => {
  let engine: Engine;
  let bundle: WorkflowBundle;
  let streams: StreamPublisher;
  const listeners: ListenerProcess[] = [];

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    // Re-checks every 2 s: a lost signal would show as a slow lane, never as a stalled one.
    engine = await startEngine(testConfig('ordered', { WEBHOOKS_LANE_RECHECK_MS: '2000' }), {
      listener: false,
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    streams = createStreamPublisher(engine.config.redisUrl);
    const { key: stream, group } = engine.config.redisStream;
    for (let i = 0; i < 2; i += 1) {
      listeners.push(
        spawnListener({
          ...process.env,
          DATABASE_URL: engine.config.databaseUrl,
          REDIS_URL: engine.config.redisUrl,
          WEBHOOKS_REDIS_CHANNEL: engine.config.redisChannel,
          WEBHOOKS_REDIS_STREAM: stream,
          WEBHOOKS_REDIS_GROUP: group,
          WEBHOOKS_STREAM_BLOCK_MS: '500',
          WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'false',
          WEBHOOKS_LISTENER_METRICS_PORT: '0',
          TEMPORAL_TASK_QUEUE: engine.config.temporal.taskQueue,
          SSRF_ALLOW_CIDRS: '127.0.0.1/32',
          LOG_LEVEL: 'info',
          // The listeners start the workflows: the retry policy and the lane re-check come from their config.
          ...SHORT_RETRY_ENV,
          WEBHOOKS_LANE_RECHECK_MS: '2000',
        }),
      );
    }
    await Promise.all(listeners.map((listener) => listener.logLine((l) => l.msg === 'listener started', 0, 90_000)));
  });
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.stop()));
    await streams?.redis.del(engine.config.redisStream.key);
    await streams?.close();
    await engine?.close();
  });

  const createOrdered = async (key: string, url: string) => {
    const created = await engine.request('POST', '/webhooks/subscriptions', key, { url, events: ['*'], ordered: true });
    expect(created.status).toBe(201);
    expect(created.body.ordered).toBe(true);
    return created.body.id as string;
  };

  const deliveryOf = async (accountId: string, eventId: string, subscriptionId: string) => {
    const rows: Array<{ id: string; status: string; waiting_for: string | null; last_error: string | null }> =
      await engine.dataSource.query(
        `SELECT id, status, waiting_for, last_error FROM webhook_deliveries WHERE account_id = $1 AND event_id = $2 AND subscription_id = $3`,
        [accountId, eventId, subscriptionId],
      );
    return rows[0];
  };

  describe('200 keys x 10 events through two listeners', () => {
    let lanes: LaneReceiver;
    afterAll(async () => lanes?.close());

    it('reaches the receiver one event at a time per key, in publish order, keys side by side', async () => {
      lanes = await startLaneReceiver({ maxDelayMs: 300, failFirstAttempts: 0.2 });
      const { accountId, key } = await engine.newAccount('ordered');
      const subscriptionId = await createOrdered(key, lanes.url);
      const keys = Array.from({ length: 200 }, (_, i) => `conv-${i}-${randomBytes(3).toString('hex')}`);
      let n = 0;
      const events = laneEvents(
        accountId,
        keys,
        10,
        () => `evt-${process.env.TEST_RUN_ID}-ord-${(n += 1)}-${randomBytes(4).toString('hex')}`,
      );
      await streams.addMany(engine.config.redisStream.key, events, 200);

      await waitFor(() => lanes.succeeded() === events.length, 360_000, `all ${events.length} events answered 2xx`);
      // Never two requests of a key at once, never one before the event ahead of it had its 2xx; an event sent again
      // only after a 2xx the engine did not see (its request timed out on a starved machine).
      expect(lanes.violations.filter((v) => v.kind !== 'repeat')).toEqual([]);
      await expectRepeatsOnlyOfUnrecordedAnswers(engine.dataSource, engine.temporal, lanes, events, subscriptionId);
      for (const k of keys) expect(lanes.successOrder(k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Lanes progressed side by side, and the failures on purpose happened (each then retried in its place).
      expect(lanes.maxKeysInFlight()).toBeGreaterThan(10);
      expect(lanes.failedFirstAttempts()).toBeGreaterThan(100);
      // Every (event, subscription): one webhook-id, one SUCCESS row, each turn passed (the last one a moment after
      // its 2xx was answered).
      for (const event of events) expect(lanes.webhookIdsOf(event.id).size).toBe(1);
      const counts = async () =>
        (
          await engine.dataSource.query(
            `SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS success, count(*)::int AS total,
                    count(*) FILTER (WHERE lane_passed_at IS NULL)::int AS unpassed
               FROM webhook_deliveries WHERE subscription_id = $1`,
            [subscriptionId],
          )
        )[0] as { success: number; total: number; unpassed: number };
      await waitFor(async () => (await counts()).unpassed === 0, 30_000, 'every turn passed');
      expect(await counts()).toEqual({ success: events.length, total: events.length, unpassed: 0 });
      // Both listeners took part.
      const consumers = (await streams.redis.call(
        'XINFO',
        'CONSUMERS',
        engine.config.redisStream.key,
        engine.config.redisStream.group,
      )) as unknown[];
      expect(consumers.length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('events through Pub/Sub', () => {
    let lanes: LaneReceiver;
    afterAll(async () => lanes?.close());

    it('keeps one event at a time per key, in the order the engine stored them', async () => {
      lanes = await startLaneReceiver({ maxDelayMs: 50, failFirstAttempts: 0 });
      const { accountId, key } = await engine.newAccount('ordered-pubsub');
      await createOrdered(key, lanes.url);
      const keys = Array.from({ length: 10 }, (_, i) => `conv-ps-${i}-${randomBytes(3).toString('hex')}`);
      let n = 0;
      const events = laneEvents(
        accountId,
        keys,
        5,
        () => `evt-${process.env.TEST_RUN_ID}-ps-${(n += 1)}-${randomBytes(4).toString('hex')}`,
      );
      for (const event of events) await engine.publish(event);

      await waitFor(() => lanes.succeeded() === events.length, 120_000, `all ${events.length} events answered 2xx`);
      // Concurrent Pub/Sub messages of one key may be stored in either order: the lane follows the stored order.
      expect(lanes.violations.filter((v) => v.kind !== 'order')).toEqual([]);
      const stored: Array<{ key: string; seq: number }> = await engine.dataSource.query(
        `SELECT ordering_key AS key, (body::json -> 'data' ->> 'seq')::int AS seq FROM webhook_events
          WHERE account_id = $1 ORDER BY lane_position`,
        [accountId],
      );
      expect(stored).toHaveLength(events.length);
      for (const k of keys) expect(lanes.successOrder(k)).toEqual(stored.filter((row) => row.key === k).map((row) => row.seq));
      const [{ streamed }] = await engine.dataSource.query(
        `SELECT count(*) FILTER (WHERE stream_entry_id IS NOT NULL)::int AS streamed FROM webhook_events WHERE account_id = $1`,
        [accountId],
      );
      expect(streamed).toBe(0);
    });
  });

  describe('a lane whose head fails, and a subscription switched off', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => receiver?.close());

    it('goes on after a head that ends FAILURE; the one behind shows what it waits for', async () => {
      const { accountId, key } = await engine.newAccount('ordered-head');
      const subscriptionId = await createOrdered(key, `${receiver.origin}/head`);
      const lane = `conv-head-${randomBytes(3).toString('hex')}`;
      const [head, second, third] = [0, 1, 2].map((seq) => ({
        ...newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', { seq }),
        orderingKey: lane,
      }));
      // The head fails every attempt (3 under the test's retry policy), slowly enough to be seen waiting behind.
      let headAttempts = 0;
      receiver.setDefault((request) => {
        if (request.json<{ id: string }>().id !== head.id) return { status: 200 };
        headAttempts += 1;
        return { status: 500, body: 'head fails', delayMs: 300 };
      });
      for (const event of [head, second, third]) await streams.add(engine.config.redisStream.key, event);

      const headDelivery = await waitFor(async () => (await deliveryOf(accountId, head.id, subscriptionId))?.id, 30_000, 'the head row');
      const waiting = await waitFor(
        async () => {
          const page = await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/deliveries`, key);
          const row = (
            page.body.data as Array<{ eventId: string; waitingFor: string | null; orderingKey: string | null; status: string }>
          ).find((d) => d.eventId === second.id && d.waitingFor !== null);
          return row && headAttempts < 3 ? row : undefined;
        },
        30_000,
        'the second event waiting for the head',
      );
      expect(waiting).toMatchObject({ status: 'PENDING', orderingKey: lane, waitingFor: headDelivery });
      const read = await engine.request('GET', `/webhooks/deliveries/${headDelivery}`, key);
      expect(read.body.orderingKey).toBe(lane);
      // In Temporal: Running, its details naming the delivery it waits for.
      const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(second.id, subscriptionId));
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const metadata = await handle.query(workflowMetadataQuery);
      expect(metadata.currentDetails).toContain(headDelivery);

      await waitFor(
        async () => (await deliveryOf(accountId, third.id, subscriptionId))?.status === 'SUCCESS',
        60_000,
        'the third delivered',
      );
      expect((await deliveryOf(accountId, head.id, subscriptionId)).status).toBe('FAILURE');
      expect((await deliveryOf(accountId, second.id, subscriptionId)).status).toBe('SUCCESS');
      const order = receiver.requests.map((r) => r.json<{ id: string }>().id);
      expect(order.filter((id) => id === head.id)).toHaveLength(3);
      // Every head attempt came before the second's, the second before the third.
      expect(order.lastIndexOf(head.id)).toBeLessThan(order.indexOf(second.id));
      expect(order.indexOf(second.id)).toBeLessThan(order.indexOf(third.id));
    });

    it('passes the turn of a delivery ahead whose workflow was terminated, at the re-check (no signal comes)', async () => {
      const { accountId, key } = await engine.newAccount('ordered-term');
      const subscriptionId = await createOrdered(key, `${receiver.origin}/terminated`);
      const lane = `conv-term-${randomBytes(3).toString('hex')}`;
      const [head, second] = [0, 1].map((seq) => ({ ...newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', { seq }), orderingKey: lane }));
      receiver.setDefault((request) =>
        request.json<{ id: string }>().id === head.id ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
      );
      for (const event of [head, second]) await streams.add(engine.config.redisStream.key, event);
      await waitFor(async () => (await deliveryOf(accountId, second.id, subscriptionId))?.waiting_for, 30_000, 'the second waiting');

      // Terminated from outside: the head never ends its turn nor signals; the second's re-check finds it closed.
      await engine.temporal.workflow.getHandle(deliveryWorkflowId(head.id, subscriptionId)).terminate('operator stopped it');
      await waitFor(
        async () => (await deliveryOf(accountId, second.id, subscriptionId))?.status === 'SUCCESS',
        60_000,
        'the second delivered',
      );
      expect(receiver.requests.filter((r) => r.json<{ id: string }>().id === second.id)).toHaveLength(1);
    });

    it('ends the waiting deliveries as FAILURE when the subscription is switched off', async () => {
      const { accountId, key } = await engine.newAccount('ordered-off');
      const subscriptionId = await createOrdered(key, `${receiver.origin}/off`);
      const lane = `conv-off-${randomBytes(3).toString('hex')}`;
      const [head, ...behind] = [0, 1, 2].map((seq) => ({
        ...newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', { seq }),
        orderingKey: lane,
      }));
      // The head is told to come back in an hour: its lane waits behind it.
      receiver.setDefault((request) =>
        request.json<{ id: string }>().id === head.id ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
      );
      for (const event of [head, ...behind]) await streams.add(engine.config.redisStream.key, event);
      await waitFor(
        async () => (await Promise.all(behind.map((e) => deliveryOf(accountId, e.id, subscriptionId)))).every((d) => d?.waiting_for),
        30_000,
        'both deliveries behind the head waiting',
      );

      // An event without an orderingKey goes to the same subscription without waiting for any lane.
      const unkeyed = newEvent(accountId);
      await streams.add(engine.config.redisStream.key, unkeyed);
      await waitFor(
        async () => (await deliveryOf(accountId, unkeyed.id, subscriptionId))?.status === 'SUCCESS',
        30_000,
        'the unkeyed event',
      );
      expect((await deliveryOf(accountId, head.id, subscriptionId)).status).toBe('PENDING');

      const patched = await engine.request('PATCH', `/webhooks/subscriptions/${subscriptionId}`, key, { isActive: false });
      expect(patched.status).toBe(200);
      for (const event of behind) {
        const ended = await waitFor(
          async () => {
            const row = await deliveryOf(accountId, event.id, subscriptionId);
            return row.status === 'FAILURE' ? row : undefined;
          },
          30_000,
          'a waiting delivery ended',
        );
        expect(ended.last_error).toMatch(/inactive|switched off|disabled/i);
      }
      // Nothing behind the head was ever sent.
      expect(receiver.requests.filter((r) => behind.some((e) => e.id === r.json<{ id: string }>().id))).toHaveLength(0);
    });
  });
});
