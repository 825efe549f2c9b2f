/**
 * Postgres taken away and given back, under the running engine (API, listener and worker all reach Postgres through
 * a TCP proxy that the test cuts and restores). Nothing is lost and nothing crashes: an event received while the
 * database is gone is delivered once it is back, and a delivery whose bookkeeping fails mid-attempt is retried by
 * Temporal and ends SUCCESS under the same webhook-id.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/app/data-source';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('end to end: Postgres outage', () => {
  let proxy: TcpProxy;
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let direct: DataSource;

  beforeAll(async () => {
    const databaseUrl = new URL(process.env.DATABASE_URL as string);
    proxy = await startTcpProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);

    direct = createDataSource(databaseUrl.toString(), { poolSize: 2 });
    await direct.initialize();
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    // Enough attempts, close together, to outlast a few seconds without Postgres.
    const config = testConfig('pg-outage', {
      DATABASE_URL: proxied.toString(),
      WEBHOOKS_RETRY_MAX_ATTEMPTS: '30',
      WEBHOOKS_RETRY_MAX_INTERVAL_MS: '1000',
    });
    engine = await startEngine(config, {
      startWorker: (cfg, dataSource) => startTestWorker({ config: cfg, dataSource, taskQueue: cfg.temporal.taskQueue, bundle }),
    });
  });
  afterAll(async () => {
    await proxy?.restore();
    await engine?.close();
    await receiver?.close();
    await direct?.destroy();
    await proxy?.close();
  });

  const subscribe = async () => {
    const { accountId, key } = await engine.newAccount('pg');
    const res = await engine.request('POST', '/webhooks/subscriptions', key, {
      url: `${receiver.origin}/pg/${Math.random().toString(36).slice(2)}`,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
    });
    expect(res.status).toBe(201);
    return { accountId, subscriptionId: res.body.id as string, url: res.body.url as string };
  };

  const deliveryStatus = async (eventId: string) =>
    ((await direct.query('SELECT status FROM webhook_deliveries WHERE event_id = $1', [eventId]))[0] as { status: string } | undefined)
      ?.status;

  it('delivers an event that was published while Postgres was down, once it is back', async () => {
    const { accountId, url } = await subscribe();
    receiver.reset();
    await proxy.cut();
    const event = newEvent(accountId);
    await engine.publish(event);
    // The listener has the event in hand and has already failed to store it more than once.
    await engine.logs.waitFor(
      (l) => l.eventId === event.id && l.msg === 'storing the event failed; retrying' && Number(l.attempt) >= 2,
      20_000,
    );
    expect(receiver.requests).toHaveLength(0);
    expect((await direct.query('SELECT 1 FROM webhook_events WHERE id = $1', [event.id])).length).toBe(0);

    await proxy.restore();
    const [request] = await receiver.waitForRequests(1, 30_000);
    expect(`${receiver.origin}${request.path}`).toBe(url);
    expect(request.json()).toEqual(event);
    await waitFor(async () => (await deliveryStatus(event.id)) === 'SUCCESS', 20_000, 'SUCCESS');
    expect(receiver.requests.filter((r) => r.json<{ id: string }>().id === event.id)).toHaveLength(1);
  });

  it('retries a delivery whose attempt could not be recorded, and ends SUCCESS with the same webhook-id', async () => {
    const { accountId, subscriptionId } = await subscribe();
    receiver.reset();
    // The first POST is answered 200 only after Postgres is gone, so recording that attempt fails.
    receiver.enqueue(async () => {
      await proxy.cut();
      return { status: 200 };
    });
    const event = newEvent(accountId);
    await engine.publish(event);
    await receiver.waitForRequests(1, 30_000);
    // Postgres stays away until Temporal reports a retry of the activity that failed too (its attempt > 1, with the
    // last failure recorded): the delivery's bookkeeping has failed while the database was gone.
    const handle = engine.temporal.workflow.getHandle(deliveryWorkflowId(event.id, subscriptionId));
    await waitFor(
      async () => ((await handle.describe()).raw.pendingActivities ?? []).some((a) => (a.attempt ?? 0) >= 2 && a.lastFailure),
      30_000,
      'a failed attempt while Postgres is down',
    );
    await proxy.restore();

    await waitFor(async () => (await deliveryStatus(event.id)) === 'SUCCESS', 30_000, 'SUCCESS');
    const posts = receiver.requests.filter((r) => r.json<{ id: string }>().id === event.id);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });
});
