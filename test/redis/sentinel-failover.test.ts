/**
 * Redis Sentinel: a primary, a replica and three Sentinels (real redis-server and redis-sentinel processes). The
 * listener PROCESS (with its embedded worker), a worker PROCESS and the API PROCESS run in Sentinel mode; a publisher adds 1,000 events
 * to the stream, each acknowledged by a replica (XADD, then WAIT 1), and the primary is SIGKILLed in the middle.
 * The Sentinels promote the replica; the killed node comes back as a Redis operator would bring it back, and the
 * Sentinels make it the new primary's replica. No engine process is restarted: each finds the new primary by
 * itself, the listener resumes its consumer group there, and every event is delivered under one webhook-id (a
 * publisher's retry after a lost reply, or an entry the new primary hands out again, is absorbed by the event-id
 * dedupe). The API keeps answering, its rate limit included.
 */
import { randomBytes } from 'node:crypto';
import { createRedisClient, type RedisClient } from '../../src/redis/clients';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { newEvent, SHORT_RETRY_ENV, startEngine, testConfig, waitFor, type Engine, type TestConfig } from '../helpers/engine';
import { freePort } from '../helpers/free-port';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startSentinelTopology, type SentinelTopology } from '../helpers/redis-topologies';

const EVENTS = 1_000;
const KILL_AFTER = 400;
const API_LIMIT_PER_MINUTE = 20;

describe('Redis Sentinel: the primary SIGKILLed while 1,000 events are published', () => {
  let topology: SentinelTopology;
  let config: TestConfig;
  let engine: Engine;
  let receiver: Receiver;
  let publisher: RedisClient;
  let listener: EngineProcess | undefined;
  let api: EngineProcess | undefined;
  let worker: EngineProcess | undefined;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    receiver = await startReceiver();
    config = testConfig('sentinel', { ...topology.env, WEBHOOKS_STREAM_CLAIM_IDLE_MS: '1000', WEBHOOKS_STREAM_BLOCK_MS: '500' });
    // In this process: the test's own API (accounts, the subscription) and database; no listener, no worker.
    engine = await startEngine(config, { listener: false });
    // Commands wait for the next primary (ioredis asks the Sentinels again on every reconnection).
    publisher = createRedisClient(config, { connectionName: 'test-durable-publisher', maxRetriesPerRequest: null });
    publisher.on('error', () => undefined);
  });

  afterAll(async () => {
    await listener?.stop();
    await worker?.stop();
    await api?.stop();
    publisher?.disconnect();
    await engine?.close();
    await receiver?.close();
    await topology?.stop();
  });

  /** What a publisher must do for an event to survive a failover: XADD, then WAIT until a replica has it. */
  const publishDurably = async (event: object): Promise<void> => {
    for (;;) {
      try {
        await publisher.call('XADD', config.redisStream.key, '*', 'event', JSON.stringify(event));
        // WAIT covers every write of this connection so far; 0 replicas: ask again (the entry may be lost with
        // this primary: a second XADD of the same event is what makes it durable, the dedupe absorbs the first).
        for (let waits = 0; waits < 5; waits += 1) {
          if (Number(await publisher.call('WAIT', 1, 1_000)) >= 1) return;
        }
      } catch {
        // The connection broke with the primary: add it again on the next one.
      }
    }
  };

  it('delivers every event once, with no engine process restarted, and the API keeps answering', async () => {
    const { accountId, key } = await engine.newAccount('sentinel');
    const url = `${receiver.origin}/hooks/${randomBytes(4).toString('hex')}`;
    // A rate limit high enough never to hold deliveries back, so that every send asks the limiter's Redis too.
    const created = await engine.request('POST', '/webhooks/subscriptions', key, {
      url,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
      rateLimitPerSecond: 5_000,
    });
    expect(created.status).toBe(201);

    const env = {
      ...process.env,
      ...topology.env,
      ...SHORT_RETRY_ENV,
      WEBHOOKS_REDIS_CHANNEL: config.redisChannel,
      WEBHOOKS_REDIS_STREAM: config.redisStream.key,
      WEBHOOKS_REDIS_GROUP: config.redisStream.group,
      WEBHOOKS_STREAM_CLAIM_IDLE_MS: '1000',
      WEBHOOKS_STREAM_BLOCK_MS: '500',
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'info',
    };
    // The listener with its embedded worker, and a worker process on the same task queue: both deliver.
    listener = spawnEngineProcess('src/main-listener.ts', env);
    worker = spawnEngineProcess('src/main-worker.ts', env);
    const apiPort = await freePort();
    api = spawnEngineProcess('src/main-api.ts', {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      API_RATE_LIMIT_PER_MINUTE: String(API_LIMIT_PER_MINUTE),
    });
    await listener.logLine((l) => l.msg === 'stream reader ready', 0, 90_000);
    await api.logLine((l) => l.msg === 'API listening', 0, 90_000);
    await worker.logLine((l) => l.msg === 'worker started', 0, 90_000);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const ready = async () => (await fetch(`${apiUrl}/readyz`)).status === 200;
    await waitFor(ready, 30_000, 'the API process to be ready');

    const events = Array.from({ length: EVENTS }, () => newEvent(accountId));
    const oldPrimary = topology.primary.port;
    let listenerLinesAtKill = 0;
    let rejoined: Promise<void> = Promise.resolve();
    for (const [index, event] of events.entries()) {
      if (index === KILL_AFTER) {
        listenerLinesAtKill = listener.lines.length;
        await topology.primary.kill();
        // Once the Sentinels have promoted the replica, the killed node comes back, and they make it the new
        // primary's replica (the publisher's WAIT 1 needs one).
        rejoined = waitFor(async () => (await topology.primaryPort()) === topology.replica.port, 60_000, 'the failover').then(() =>
          topology.primary.start(),
        );
      }
      await publishDurably(event);
    }
    await rejoined;
    expect(await topology.primaryPort()).toBe(topology.replica.port);
    expect(topology.replica.port).not.toBe(oldPrimary);

    // The listener found the new primary by itself and resumed its consumer group there.
    await listener.logLine((l) => l.msg === 'stream reader ready', listenerLinesAtKill, 60_000);

    // Every event arrived, each under one webhook-id; one delivery row per event.
    const webhookIdsOf = () => {
      const ids = new Map<string, Set<string>>();
      for (const request of receiver.requests) {
        const eventId = request.json<{ id: string }>().id;
        ids.set(eventId, (ids.get(eventId) ?? new Set()).add(String(request.headers['webhook-id'])));
      }
      return ids;
    };
    await waitFor(() => webhookIdsOf().size === EVENTS, 240_000, `all ${EVENTS} events delivered`);
    const webhookIds = webhookIdsOf();
    expect(new Set(webhookIds.keys())).toEqual(new Set(events.map((e) => e.id)));
    expect([...webhookIds.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    const [{ rows }] = await engine.dataSource.query('SELECT count(*)::int AS rows FROM webhook_deliveries WHERE account_id = $1', [
      accountId,
    ]);
    expect(rows).toBe(EVENTS);
    for (const engineProcess of [listener, worker, api]) expect(engineProcess.child.exitCode).toBeNull();

    // Pub/Sub too: the listener subscribed again on the new primary (published until it arrives: Pub/Sub keeps
    // nothing for a subscriber that is not there yet; a repeat is deduplicated).
    const viaChannel = newEvent(accountId);
    await waitFor(
      async () => {
        await publisher.publish(config.redisChannel, JSON.stringify(viaChannel));
        return webhookIdsOf().has(viaChannel.id);
      },
      60_000,
      'an event published on the channel after the failover delivered',
    );
    expect(webhookIdsOf().get(viaChannel.id)?.size).toBe(1);

    // The API process reaches the new primary (readiness pings Redis) and still limits each key.
    await waitFor(ready, 30_000, 'the API process to be ready on the new primary');
    const statuses: number[] = [];
    let refusal: Response | undefined;
    while (!refusal && statuses.length <= 3 * API_LIMIT_PER_MINUTE) {
      const response = await fetch(`${apiUrl}/webhooks/subscriptions`, { headers: { authorization: `Bearer ${key}` } });
      statuses.push(response.status);
      await response.arrayBuffer();
      if (response.status === 429) refusal = response;
      else expect(response.headers.get('ratelimit-limit')).toBe(String(API_LIMIT_PER_MINUTE));
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(refusal?.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
