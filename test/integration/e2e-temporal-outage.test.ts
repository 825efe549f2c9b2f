/**
 * Temporal unreachable when the listener starts workflows: a PRIVATE Temporal dev server (free ports, not started
 * at first) stands for the outage. Events received meanwhile are stored and retried with backoff; a listener
 * restarted during the outage picks them up with its start-up sweep; once Temporal answers they are delivered.
 * The listener's sweep here takes every undispatched event at once (sweepMinAgeMs 0), so the test has a database of
 * its own: other test files' stored events would otherwise be swept and held by this dispatcher too.
 */
import { createDeliveryStarter } from '../../src/deliveries/delivery-starter';
import path from 'node:path';
import os from 'node:os';
import type { DataSource } from 'typeorm';
import { requireEncryptionKey } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { dropDatabase } from '../../src/db/ensure-database';
import { migrate } from '../../src/app/migrate';
import { startTemporalDevServer, type RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { startEventListenerService, type EventListenerService } from '../../src/events/event-listener.service';
import { dispatchTargetsIn } from '../../src/subscriptions/subscription.repository';
import { temporalConnections } from '../../src/temporal/connections';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { createSubscriptionRepository } from '../../src/subscriptions/subscription.repository';
import { createSubscriptionService } from '../../src/subscriptions/subscription.service';
import { captureLogs, newEvent, testConfig, waitFor, type TestConfig } from '../helpers/engine';
import { freePort } from '../helpers/free-port';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createPublisher, publishWhenSubscribed, type Publisher } from '../helpers/redis';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

jest.setTimeout(180_000);

describe('Temporal unreachable at dispatch', () => {
  let config: TestConfig;
  let ports: { port: number; uiPort: number; httpPort: number; metricsPort: number };
  let dataSource: DataSource;
  let receiver: Receiver;
  let publisher: Publisher;
  let server: RunningDevServer | undefined;
  let worker: TestWorker | undefined;
  const listeners: Array<{ service: EventListenerService; close(): Promise<void> }> = [];

  beforeAll(async () => {
    ports = { port: await freePort(), uiPort: await freePort(), httpPort: await freePort(), metricsPort: await freePort() };
    const ownDatabase = new URL(process.env.DATABASE_URL as string);
    ownDatabase.pathname = `${ownDatabase.pathname}_outage`;
    await migrate(ownDatabase.toString());
    config = testConfig('temporal-outage', { TEMPORAL_ADDRESS: `127.0.0.1:${ports.port}`, DATABASE_URL: ownDatabase.toString() });
    dataSource = createDataSource(config.databaseUrl, { poolSize: 6 });
    await dataSource.initialize();
    receiver = await startReceiver();
    publisher = createPublisher(config.redisUrl);
  });
  afterAll(async () => {
    for (const listener of listeners) await listener.close();
    await worker?.stop();
    await server?.stop();
    await publisher?.close();
    await receiver?.close();
    await dataSource?.destroy();
    if (config && !process.env.KEEP_TEST_DATABASE) await dropDatabase(config.databaseUrl);
  });

  const startListener = async (logs: ReturnType<typeof captureLogs>) => {
    const temporal = temporalConnections(config).lazyClient();
    const service = startEventListenerService({
      config,
      dataSource,
      findSubscriptions: dispatchTargetsIn(dataSource),
      startDelivery: createDeliveryStarter({ client: temporal.client, config: config }),
      logger: logs.logger,
      sweepIntervalMs: 60_000,
      dispatcher: { retryInitialDelayMs: 200, retryMaxDelayMs: 1_000, sweepMinAgeMs: 0 },
    });
    const entry = {
      service,
      close: async () => {
        await service.stop();
        await temporal.connection.close();
      },
    };
    listeners.push(entry);
    await service.whenReady();
    return entry;
  };
  const dispatchedAt = async (eventId: string) =>
    (await dataSource.query('SELECT dispatched_at FROM webhook_events WHERE id = $1', [eventId]))[0]?.dispatched_at as
      Date | null | undefined;

  it('keeps events received while Temporal is down, across a listener restart, and delivers each once Temporal is back', async () => {
    const accountId = `outage-${process.env.TEST_RUN_ID}`;
    const subscriptions = createSubscriptionService(
      createSubscriptionRepository(dataSource),
      createSecretBox(requireEncryptionKey(config)),
    );
    const { subscription } = await subscriptions.create({ accountId, url: receiver.url, events: ['*'], description: null, isActive: true });

    // Temporal is down: the first event is stored, its start fails and is retried in the background.
    const firstLogs = captureLogs('listener-1');
    const first = await startListener(firstLogs);
    const eventA = newEvent(accountId);
    await publishWhenSubscribed(publisher, config.redisChannel, eventA);
    await firstLogs.waitFor(
      (l) => l.eventId === eventA.id && l.msg === 'dispatch failed; the event is kept and retried in the background',
      30_000,
    );
    expect(await dispatchedAt(eventA.id)).toBeNull();
    expect(first.service.dispatcher.pending()).toBe(1);

    // The listener is restarted while Temporal is still down: the event stays stored, undispatched.
    await first.close();
    listeners.splice(listeners.indexOf(first), 1);
    expect(await dispatchedAt(eventA.id)).toBeNull();

    const secondLogs = captureLogs('listener-2');
    const second = await startListener(secondLogs);
    const eventB = newEvent(accountId);
    await publishWhenSubscribed(publisher, config.redisChannel, eventB);
    await secondLogs.waitFor(
      (l) => l.eventId === eventB.id && l.msg === 'dispatch failed; the event is kept and retried in the background',
      30_000,
    );
    // The start-up sweep found A and handed it to the background retry as well.
    await waitFor(() => second.service.dispatcher.pending() === 2, 30_000, 'both events retrying');
    expect(receiver.requests).toHaveLength(0);

    // Temporal comes back on the same address, with a worker: both events are delivered, each once.
    server = await startTemporalDevServer({
      config: { ...ports, dbFilename: null, logLevel: 'error' },
      headless: true,
      logFile: path.join(os.tmpdir(), `webhooks-test-temporal-outage-${process.env.TEST_RUN_ID}.log`),
    });
    worker = await startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle: await bundleWorkflows() });

    const requests = await receiver.waitForRequests(2, 60_000);
    expect(requests.map((r) => r.json<{ id: string }>().id).sort()).toEqual([eventA.id, eventB.id].sort());
    await waitFor(async () => (await dispatchedAt(eventA.id)) && (await dispatchedAt(eventB.id)), 15_000, 'both dispatched');
    await waitFor(
      async () => {
        const rows = await dataSource.query(`SELECT status FROM webhook_deliveries WHERE subscription_id = $1`, [subscription.id]);
        return rows.length === 2 && rows.every((r: { status: string }) => r.status === 'SUCCESS');
      },
      15_000,
      'both deliveries SUCCESS',
    );
    expect(second.service.dispatcher.pending()).toBe(0);
    // Both workflows have completed and no event is left to dispatch: nothing more can be sent.
    const check = temporalConnections(config).lazyClient();
    try {
      for (const event of [eventA, eventB]) {
        const handle = check.client.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id));
        await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 15_000, `${event.id} completed`);
      }
    } finally {
      await check.connection.close();
    }
    expect(receiver.requests).toHaveLength(2);
  });
});
