/**
 * Redis stopped under the real listener PROCESS (src/main-listener.ts, spawned as `npm run start:listener` would
 * run it, here through ts-node): a PRIVATE redis-server on a free port is killed and restarted on the same port
 * (the machine's shared Redis is never touched). The process logs the outage, stays up, re-subscribes, re-creates
 * its stream group (this Redis keeps nothing), and the next events, by Pub/Sub and by the stream, are delivered.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import { stopProcess } from '../../tools/dev/temporal-dev-server';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, publishWhenSubscribed, startPrivateRedis, type PrivateRedis } from '../helpers/redis';
import { spawnListener, type ListenerProcess } from '../helpers/listener-process';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

jest.setTimeout(120_000);

describe('Redis stopped under the listener process', () => {
  let redis: PrivateRedis;
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let listener: ListenerProcess | undefined;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    redis = await startPrivateRedis();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('redis-outage', { REDIS_URL: redis.url }), {
      listener: false,
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
  });
  afterAll(async () => {
    if (listener && listener.child.exitCode === null) await stopProcess(listener.child, 5_000);
    await engine?.close();
    await receiver?.close();
    await redis?.stop();
  });

  it('logs the outage, stays up, re-subscribes when Redis is back, delivers again, and shuts down cleanly', async () => {
    const { accountId, key } = await engine.newAccount('redis-outage');
    const created = await engine.request('POST', '/webhooks/subscriptions', key, {
      url: receiver.url,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
    });
    expect(created.status).toBe(201);

    listener = spawnListener({
      ...process.env,
      REDIS_URL: redis.url,
      WEBHOOKS_REDIS_CHANNEL: engine.config.redisChannel,
      WEBHOOKS_REDIS_STREAM: engine.config.redisStream.key,
      WEBHOOKS_REDIS_GROUP: engine.config.redisStream.group,
      TEMPORAL_TASK_QUEUE: engine.config.temporal.taskQueue,
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'info',
      // The test's own worker delivers: the listener skips bundling an embedded worker (listener-layouts covers that).
      WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'false',
    });
    await listener.logLine((l) => l.msg === 'redis listener subscribed', 0, 60_000);
    await listener.logLine((l) => l.msg === 'stream reader ready', 0, 60_000);

    const before = newEvent(accountId);
    await publishWhenSubscribed(engine.publisher, engine.config.redisChannel, before);
    await receiver.waitForRequests(1, 20_000);

    // Outage.
    const mark = listener.lines.length;
    await redis.kill();
    const errorLine = await listener.logLine((l) => l.msg === 'redis connection error; the listener stays up and reconnects', mark);
    expect(errorLine).toMatchObject({ level: 50, channel: engine.config.redisChannel });
    // The stream reader has seen the outage too: both ways in are in their reconnect loops, and the process is up
    // (logLine fails early if it exits; the rest of the test needs this same process to re-subscribe).
    await listener.logLine((l) => l.msg === 'stream reader lost its redis connection; reconnecting', mark);
    expect(listener.child.exitCode).toBeNull();
    expect(listener.child.signalCode).toBeNull();

    // Back on the same port: the process re-subscribes by itself and the next event is delivered.
    const beforeRestart = listener.lines.length;
    await redis.start();
    await listener.logLine((l) => l.msg === 'redis listener subscribed', beforeRestart);
    // This Redis keeps nothing across a restart: the stream reader re-creates its group and reads on.
    await listener.logLine((l) => l.msg === 'created the stream consumer group', beforeRestart);
    await listener.logLine((l) => l.msg === 'stream reader ready', beforeRestart);
    const after = newEvent(accountId);
    await publishWhenSubscribed(engine.publisher, engine.config.redisChannel, after);
    const requests = await receiver.waitForRequests(2, 20_000);
    expect(requests[1].json()).toEqual(after);
    await waitFor(
      async () => {
        const rows = await engine.dataSource.query(`SELECT status FROM webhook_deliveries WHERE event_id = $1`, [after.id]);
        return rows[0]?.status === 'SUCCESS';
      },
      15_000,
      'SUCCESS after the outage',
    );
    const streams = createStreamPublisher(redis.url);
    const viaStream = newEvent(accountId);
    await streams.add(engine.config.redisStream.key, viaStream);
    await streams.close();
    const all = await receiver.waitForRequests(3, 20_000);
    expect(all[2].json()).toEqual(viaStream);

    // SIGTERM: graceful shutdown, exit code 0.
    const exited = new Promise<number | null>((resolve) => listener!.child.once('exit', (code) => resolve(code)));
    listener.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(listener.lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(listener.stderr.join('')).toBe('');
  });
});
