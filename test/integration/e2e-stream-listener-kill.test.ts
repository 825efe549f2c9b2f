/**
 * A listener PROCESS SIGKILLed while it holds stream entries it has read but not acknowledged: its Postgres goes
 * through a TCP proxy that the test cuts, so the process reads the entries and keeps retrying to store them; then
 * it is killed. A second listener of the same group claims the entries once they are idle and delivers each once:
 * none lost, none delivered twice, each delivery workflow started once.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { createDataSource } from '../../src/app/data-source';
import { startEventListenerService, type EventListenerService } from '../../src/events/event-listener.service';
import { dispatchTargetsIn } from '../../src/subscriptions/subscription.repository';
import { temporalConnections } from '../../src/temporal/connections';
import { stopProcess } from '../../tools/dev/temporal-dev-server';
import { countedStarter } from '../helpers/delivery-starts';
import { captureLogs, newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { spawnListener, type ListenerProcess } from '../helpers/listener-process';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, pendingOf, type StreamPublisher } from '../helpers/redis';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

jest.setTimeout(150_000);

const CLAIM_IDLE_MS = 1_000;

describe('a listener process killed with entries in hand', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let streams: StreamPublisher;
  let postgresProxy: TcpProxy;
  let doomed: ListenerProcess | undefined;
  let survivor: { service: EventListenerService; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('stream-kill', { WEBHOOKS_STREAM_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS) }), {
      listener: false,
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    streams = createStreamPublisher(engine.config.redisUrl);
    const database = new URL(engine.config.databaseUrl);
    postgresProxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
  });
  afterAll(async () => {
    if (doomed && doomed.child.exitCode === null && doomed.child.signalCode === null) await stopProcess(doomed.child, 5_000);
    await survivor?.close();
    await streams?.redis.del(engine.config.redisStream.key);
    await streams?.close();
    await postgresProxy?.close();
    await engine?.close();
    await receiver?.close();
  });

  /** Redis's clock in ms (TIME): the one XPENDING's idle times are measured by. */
  const redisNowMs = async () => {
    const [seconds, micros] = await streams.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  it('lets another listener claim and deliver every entry once', async () => {
    const { accountId, key } = await engine.newAccount('stream-kill');
    const url = `${receiver.origin}/hooks/${randomBytes(4).toString('hex')}`;
    const created = await engine.request('POST', '/webhooks/subscriptions', key, { url, events: ['NEW_MESSAGE_FROM_VISITOR'] });
    expect(created.status).toBe(201);
    const { key: stream, group } = engine.config.redisStream;

    const viaProxy = new URL(engine.config.databaseUrl);
    viaProxy.host = `127.0.0.1:${postgresProxy.port}`;
    doomed = spawnListener({
      ...process.env,
      DATABASE_URL: viaProxy.toString(),
      REDIS_URL: engine.config.redisUrl,
      WEBHOOKS_REDIS_CHANNEL: '',
      WEBHOOKS_REDIS_STREAM: stream,
      WEBHOOKS_REDIS_GROUP: group,
      WEBHOOKS_STREAM_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
      WEBHOOKS_STREAM_BLOCK_MS: '500',
      TEMPORAL_TASK_QUEUE: engine.config.temporal.taskQueue,
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'info',
    });
    const ready = await doomed.logLine((l) => l.msg === 'stream reader ready', 0, 60_000);
    const doomedConsumer = String(ready.consumer);

    // Postgres goes away under the process: it reads the entries and cannot store them.
    await postgresProxy.cut();
    const events = Array.from({ length: 30 }, () => newEvent(accountId));
    await streams.addMany(stream, events);
    await waitFor(
      async () => (await pendingOf(streams.redis, stream, group)).consumers[doomedConsumer] === 30,
      20_000,
      'all 30 entries read by the doomed listener',
    );
    const allReadBy = await redisNowMs();
    await doomed.logLine((l) => l.msg === 'storing the event failed; retrying');
    // Kept alive past the claim idle time (by Redis's clock, which measures idleness): every entry was read longer
    // ago than that, yet its touches keep each entry's idle time under it, so no other listener could claim them.
    await waitFor(async () => (await redisNowMs()) > allReadBy + CLAIM_IDLE_MS, 10_000, 'the claim idle time to pass');
    const entries = (await streams.redis.call('XPENDING', stream, group, '-', '+', 100)) as Array<[string, string, number, number]>;
    expect(entries).toHaveLength(30);
    for (const [, consumer, idleMs] of entries) {
      expect(consumer).toBe(doomedConsumer);
      expect(Number(idleMs)).toBeLessThan(CLAIM_IDLE_MS);
    }

    const killed = new Promise((resolve) => doomed!.child.once('exit', resolve));
    doomed.child.kill('SIGKILL');
    await killed;
    await postgresProxy.restore();

    // The survivor: the same group, the real pipeline, starts counted.
    const dataSource = createDataSource(engine.config.databaseUrl, { poolSize: 5 });
    await dataSource.initialize();
    const temporal = temporalConnections(engine.config).lazyClient();
    const starts = countedStarter(temporal.client, engine.config);
    const logs = captureLogs('survivor');
    const service = startEventListenerService({
      config: { ...engine.config, redisChannel: null },
      dataSource,
      findSubscriptions: dispatchTargetsIn(dataSource),
      logger: logs.logger,
      startDelivery: starts.startDelivery,
    });
    survivor = {
      service,
      close: async () => {
        await service.stop();
        await temporal.connection.close();
        await dataSource.destroy();
      },
    };

    await waitFor(
      async () =>
        (
          await engine.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE account_id = $1 AND status = 'SUCCESS'`, [
            accountId,
          ])
        )[0].n === 30,
      60_000,
      '30 deliveries recorded as SUCCESS',
    );
    // One delivery per event: one row, one workflow start, one webhook-id (a loaded machine may make Temporal
    // retry an attempt that timed out after sending, with the same webhook-id).
    const webhookIds = new Map<string, Set<string>>();
    for (const request of receiver.requests) {
      const id = request.json<{ id: string }>().id;
      webhookIds.set(id, (webhookIds.get(id) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    expect(new Set(webhookIds.keys())).toEqual(new Set(events.map((e) => e.id)));
    expect([...webhookIds.values()].every((ids) => ids.size === 1)).toBe(true);
    const [{ rows }] = await engine.dataSource.query('SELECT count(*)::int AS rows FROM webhook_deliveries WHERE account_id = $1', [
      accountId,
    ]);
    expect(rows).toBe(30);
    const mine = starts.of(created.body.id);
    expect(mine.started.size).toBe(30);
    expect([...mine.started.values()].every((n) => n === 1)).toBe(true);
    expect(service.stats().stream).toMatchObject({ claimed: 30, read: 0, acked: 30, rejectedAfterMaxDeliveries: 0 });
    await waitFor(async () => (await pendingOf(streams.redis, stream, group)).count === 0, 10_000, 'nothing left pending');
  });
});
