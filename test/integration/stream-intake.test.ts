/**
 * The stream way in on real Redis, Postgres and Temporal, with listener services in this process (the process-level
 * faults are in e2e-stream-*.test.ts): a backlog added while no listener ran is delivered once; two listeners in one
 * group share the entries and start each delivery workflow once; the same event by stream and Pub/Sub delivers
 * once; malformed and over-delivered entries are kept in rejected_messages and acknowledged; acknowledged history is
 * trimmed; the in-hand bound holds for both ways in at once. Every test has its own stream and group.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import type { RedisClient } from '../../src/redis/clients';
import type { Config } from '../../src/config';
import { createDataSource } from '../../src/app/data-source';
import { startEventListenerService, type EventListenerService } from '../../src/events/event-listener.service';
import { dispatchTargetsIn } from '../../src/subscriptions/subscription.repository';
import { temporalConnections } from '../../src/temporal/connections';
import { countedStarter, type CountedStarts } from '../helpers/delivery-starts';
import { captureLogs, newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import {
  createPublisher,
  createStreamPublisher,
  pendingOf,
  publishWhenSubscribed,
  uniqueChannel,
  uniqueStream,
  type Publisher,
  type StreamPublisher,
} from '../helpers/redis';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

jest.setTimeout(180_000);

type StreamConfig = Config & { redisStream: NonNullable<Config['redisStream']> };

describe('stream intake', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let streams: StreamPublisher;
  let pubsub: Publisher;
  const logs = captureLogs('stream-intake');
  const createdKeys: string[] = [];
  const running: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('stream-intake'), {
      listener: false,
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    streams = createStreamPublisher(engine.config.redisUrl);
    pubsub = createPublisher(engine.config.redisUrl);
  });
  afterEach(async () => {
    while (running.length > 0) await running.pop()!();
  });
  afterAll(async () => {
    if (createdKeys.length > 0) await streams?.redis.del(...createdKeys);
    await streams?.close();
    await pubsub?.close();
    await engine?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  /** The engine's config with a stream and group of the test's own (and no Pub/Sub unless asked). */
  const streamConfig = (
    label: string,
    overrides: Partial<StreamConfig['redisStream']> & { channel?: boolean; maxInHand?: number; taskQueue?: string } = {},
  ): StreamConfig => {
    const { channel, maxInHand, taskQueue, ...stream } = overrides;
    const key = uniqueStream(label);
    createdKeys.push(key);
    return {
      ...engine.config,
      redisChannel: channel ? uniqueChannel(label) : null,
      redisStream: { ...engine.config.redisStream, key, group: `${label}-${randomBytes(4).toString('hex')}`, ...stream },
      listenerMaxInHand: maxInHand ?? engine.config.listenerMaxInHand,
      temporal: { ...engine.config.temporal, taskQueue: taskQueue ?? engine.config.temporal.taskQueue },
    };
  };

  interface RunningListener {
    service: EventListenerService;
    starts: CountedStarts;
  }

  const startListener = async (config: StreamConfig, consumer?: string): Promise<RunningListener> => {
    const dataSource = createDataSource(config.databaseUrl, { poolSize: 5 });
    await dataSource.initialize();
    const temporal = temporalConnections(config).lazyClient();
    const starts = countedStarter(temporal.client, config);
    const service = startEventListenerService({
      config,
      dataSource,
      findSubscriptions: dispatchTargetsIn(dataSource),
      logger: logs.logger,
      startDelivery: starts.startDelivery,
      streamConsumer: consumer,
      sweepIntervalMs: 60_000,
    });
    running.push(async () => {
      await service.stop();
      await temporal.connection.close();
      await dataSource.destroy();
    });
    await service.whenReady(15_000);
    return { service, starts };
  };

  const subscribe = async (key: string) => {
    const url = `${receiver.origin}/hooks/${randomBytes(4).toString('hex')}`;
    const res = await engine.request('POST', '/webhooks/subscriptions', key, { url, events: ['*'] });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, path: new URL(url).pathname };
  };
  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);
  const storedCount = async (accountId: string) =>
    Number((await engine.dataSource.query('SELECT count(*)::int AS n FROM webhook_events WHERE account_id = $1', [accountId]))[0].n);
  const successCount = async (accountId: string) =>
    Number(
      (
        await engine.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE account_id = $1 AND status = 'SUCCESS'`, [
          accountId,
        ])
      )[0].n,
    );
  const rejectedOn = (stream: string): Promise<Array<{ raw: string; reason: string }>> =>
    engine.dataSource.query('SELECT raw, reason FROM rejected_messages WHERE channel = $1 ORDER BY received_at, id', [stream]);
  const redis = (): RedisClient => streams.redis;
  const allAcknowledged = async (config: StreamConfig) =>
    (await pendingOf(redis(), config.redisStream.key, config.redisStream.group)).count === 0;

  it('delivers once every event added while no listener ran, once one starts', async () => {
    const { accountId, key } = await engine.newAccount('backlog');
    const subscription = await subscribe(key);
    const config = streamConfig('backlog');
    const events = Array.from({ length: 200 }, () => newEvent(accountId));
    await streams.addMany(config.redisStream.key, events);
    expect(await redis().call('XINFO', 'GROUPS', config.redisStream.key)).toEqual([]); // nobody has read anything

    const { service, starts } = await startListener(config);
    await waitFor(async () => (await successCount(accountId)) === 200, 90_000, '200 deliveries recorded as SUCCESS');

    // One delivery per event: one row, one workflow start, one webhook-id. (Under a loaded machine the receiver may
    // see an attempt twice, when Temporal retries an activity that timed out after sending: same webhook-id.)
    const webhookIds = new Map<string, Set<string>>();
    for (const request of requestsTo(subscription.path)) {
      const id = request.json<{ id: string }>().id;
      webhookIds.set(id, (webhookIds.get(id) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    expect(new Set(webhookIds.keys())).toEqual(new Set(events.map((e) => e.id)));
    expect([...webhookIds.values()].every((ids) => ids.size === 1)).toBe(true);
    const [{ rows }] = await engine.dataSource.query('SELECT count(*)::int AS rows FROM webhook_deliveries WHERE account_id = $1', [
      accountId,
    ]);
    expect(rows).toBe(200);
    const mine = starts.of(subscription.id);
    expect(mine.started.size).toBe(200);
    expect([...mine.started.values()].every((n) => n === 1)).toBe(true);
    // A start may be tried again when the dispatcher retries (e.g. Postgres' pool timed out marking the event
    // dispatched on a loaded machine); Temporal refuses it (already-started), so it starts nothing.
    await waitFor(() => allAcknowledged(config), 10_000, 'every entry acknowledged');
    expect(service.stats()).toMatchObject({
      intake: { stored: 200, duplicate: 0, rejected: 0, lost: 0 },
      stream: { read: 200, acked: 200 },
    });
  });

  it('shares 1,000 entries between two listeners of one group: each event stored once, each workflow started once', async () => {
    const { accountId, key } = await engine.newAccount('pair');
    const subscription = await subscribe(key);
    // A task queue no worker polls: this test counts starts, it does not wait for 1,000 deliveries.
    const config = streamConfig('pair', { batchSize: 50, taskQueue: `pair-no-worker-${randomBytes(4).toString('hex')}` });
    const [a, b] = [await startListener({ ...config, listenerMaxInHand: 50 }), await startListener({ ...config, listenerMaxInHand: 50 })];
    expect(a.service.stats().stream!.consumer).not.toBe(b.service.stats().stream!.consumer);

    const events = Array.from({ length: 1000 }, () => newEvent(accountId));
    await streams.addMany(config.redisStream.key, events, 250);
    const storedBoth = () => a.service.stats().intake.stored + b.service.stats().intake.stored;
    await waitFor(
      () => storedBoth() === 1000 && a.service.dispatcher.pending() + b.service.dispatcher.pending() === 0,
      120_000,
      '1,000 events stored and dispatched',
    );
    await waitFor(() => allAcknowledged(config), 10_000, 'every entry acknowledged');

    expect(await storedCount(accountId)).toBe(1000);
    const started = new Map<string, number>();
    for (const { starts } of [a, b]) for (const [id, n] of starts.of(subscription.id).started) started.set(id, (started.get(id) ?? 0) + n);
    expect(started.size).toBe(1000);
    expect([...started.values()].every((n) => n === 1)).toBe(true);
    // The group hands each entry to one consumer: between them they read every entry as new exactly once. (A loaded
    // machine may still make one listener see an event the other stored, through a claim or a store retried after a
    // pool timeout: the intake counts it as a duplicate and stores and starts nothing, as the counts above show.)
    expect(a.service.stats().stream!.read + b.service.stats().stream!.read).toBe(1000);
    for (const { service } of [a, b]) {
      const stats = service.stats();
      expect(stats.intake.stored).toBeGreaterThan(0); // both took a share
      expect(stats.inHand.peak).toBeLessThanOrEqual(50);
    }
  });

  it('delivers once an event that arrives by the stream and by Pub/Sub', async () => {
    const { accountId, key } = await engine.newAccount('both-ways');
    const subscription = await subscribe(key);
    const config = streamConfig('both-ways', { channel: true });
    const { service, starts } = await startListener(config);

    const event = newEvent(accountId);
    await Promise.all([streams.add(config.redisStream.key, event), publishWhenSubscribed(pubsub, config.redisChannel!, event)]);
    await waitFor(() => service.stats().intake.stored + service.stats().intake.duplicate === 2, 15_000, 'both copies handled');
    await waitFor(async () => (await successCount(accountId)) === 1, 30_000, 'the delivery recorded');

    expect(service.stats().intake).toMatchObject({ stored: 1, duplicate: 1 });
    expect(requestsTo(subscription.path).map((r) => r.json<{ id: string }>().id)).toEqual([event.id]);
    expect([...starts.of(subscription.id).started.entries()]).toEqual([[`delivery:${event.id}:${subscription.id}`, 1]]);
    await waitFor(() => allAcknowledged(config), 10_000, 'the entry acknowledged');
  });

  it('keeps a malformed entry in rejected_messages, acknowledges it and goes on', async () => {
    const { accountId } = await engine.newAccount('malformed');
    const config = streamConfig('malformed');
    const { service } = await startListener(config);
    const good = newEvent(accountId);
    await streams.add(config.redisStream.key, 'this is not json');
    await streams.addFields(config.redisStream.key, ['payload', '{"id":"x"}']);
    await streams.add(config.redisStream.key, { ...newEvent(accountId), type: 'NOT_A_TYPE' });
    await streams.add(config.redisStream.key, good);

    const rejected = await waitFor(
      async () => {
        const rows = await rejectedOn(config.redisStream.key);
        return rows.length === 3 ? rows : null;
      },
      15_000,
      'three rejected entries',
    );
    const byReason = [...rejected].sort((x, y) => x.reason.localeCompare(y.reason));
    expect(byReason).toEqual([
      { raw: 'this is not json', reason: expect.stringMatching(/^not valid JSON/) },
      { raw: '{"payload":"{\\"id\\":\\"x\\"}"}', reason: expect.stringMatching(/^stream entry \d+-\d+ has no "event" field/) },
      { raw: expect.stringContaining('NOT_A_TYPE'), reason: 'unknown event type "NOT_A_TYPE" (not in the event catalog)' },
    ]);
    await waitFor(async () => (await storedCount(accountId)) === 1, 15_000, 'the good event stored');
    await waitFor(() => allAcknowledged(config), 10_000, 'all four acknowledged');
    expect(service.stats()).toMatchObject({ intake: { stored: 1, rejected: 3 }, stream: { acked: 4, ready: true } });
  });

  it('claims entries a dead consumer left pending, and rejects one delivered more than maxDeliveries times', async () => {
    const { accountId } = await engine.newAccount('claims');
    const config = streamConfig('claims', { claimIdleMs: 1_000, maxDeliveries: 2 });
    const { key: stream, group } = config.redisStream;
    await redis().call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
    const once = newEvent(accountId);
    const poison = newEvent(accountId);
    const onceId = await streams.add(stream, once);
    const poisonId = await streams.add(stream, poison);
    // A consumer that reads both and dies; the poison entry was already handed out twice (an XCLAIM counts one more).
    await redis().call('XREADGROUP', 'GROUP', group, 'dead-consumer', 'COUNT', 10, 'STREAMS', stream, '>');
    await redis().call('XCLAIM', stream, group, 'dead-consumer', 0, poisonId);
    expect((await pendingOf(redis(), stream, group)).consumers).toEqual({ 'dead-consumer': 2 });

    const { service } = await startListener(config);
    await waitFor(
      () => service.stats().stream!.claimed === 2 && service.stats().stream!.acked === 2,
      20_000,
      'both entries claimed and acknowledged',
    );

    expect(await storedCount(accountId)).toBe(1);
    const [stored] = await engine.dataSource.query('SELECT id FROM webhook_events WHERE account_id = $1', [accountId]);
    expect(stored.id).toBe(once.id);
    const [rejected] = await rejectedOn(stream);
    expect(JSON.parse(rejected.raw)).toEqual(poison);
    expect(rejected.reason).toMatch(
      new RegExp(
        `^stream entry ${poisonId} was delivered 3 times without being acknowledged \\(more than WEBHOOKS_STREAM_MAX_DELIVERIES=2\\)`,
      ),
    );
    expect(service.stats().stream).toMatchObject({ rejectedAfterMaxDeliveries: 1, read: 0 });
    expect(await allAcknowledged(config)).toBe(true);
    expect(onceId).not.toBe(poisonId);
  });

  describe('trimming acknowledged history', () => {
    const fill = async (config: StreamConfig, count: number) => {
      const { accountId } = await engine.newAccount('trim'); // no subscriptions: stored and dispatched to none
      await streams.addMany(
        config.redisStream.key,
        Array.from({ length: count }, () => newEvent(accountId)),
      );
      return accountId;
    };
    const length = (config: StreamConfig) => redis().xlen(config.redisStream.key);

    it('minid (the default) drops entries every group has acknowledged, and keeps unread ones', async () => {
      const config = streamConfig('trim-minid', { claimIdleMs: 1_000 });
      expect(config.redisStream.trim).toEqual({ strategy: 'minid' });
      // A second group that has read nothing holds the history for itself.
      await redis().call('XGROUP', 'CREATE', config.redisStream.key, 'another-reader', '0', 'MKSTREAM');
      const { service } = await startListener(config);
      const accountId = await fill(config, 300);
      await waitFor(
        async () => (await storedCount(accountId)) === 300 && (await allAcknowledged(config)),
        60_000,
        'all stored and acknowledged',
      );
      const ticks = service.stats().stream!.refreshedAt;
      await waitFor(() => service.stats().stream!.refreshedAt !== ticks, 5_000, 'a maintenance tick after the acks');
      expect(await length(config)).toBe(300);

      await redis().call('XGROUP', 'DESTROY', config.redisStream.key, 'another-reader');
      await waitFor(async () => (await length(config)) <= 100, 10_000, 'history trimmed to at most one stream node');
      expect(service.stats().stream!.trimmed).toBeGreaterThanOrEqual(200);
      expect(service.stats().stream).toMatchObject({ lag: 0, pending: 0 });
    });

    it('maxlen:<n> keeps about n newest entries; none leaves the stream alone', async () => {
      const capped = streamConfig('trim-maxlen', { claimIdleMs: 1_000, trim: { strategy: 'maxlen', maxLen: 100 } });
      const untouched = streamConfig('trim-none', { claimIdleMs: 1_000, trim: { strategy: 'none' } });
      const [c, u] = [await startListener(capped), await startListener(untouched)];
      // MAXLEN ~ drops the oldest entries read or not: the backlog here stays below maxLen (documented in the README).
      const { accountId: ca } = await engine.newAccount('trim');
      for (let wave = 1; wave <= 6; wave += 1) {
        await streams.addMany(
          capped.redisStream.key,
          Array.from({ length: 50 }, () => newEvent(ca)),
        );
        await waitFor(async () => (await storedCount(ca)) === wave * 50, 30_000, `wave ${wave} stored`);
      }
      const ua = await fill(untouched, 300);
      await waitFor(async () => (await storedCount(ua)) === 300, 60_000, 'all stored');
      await waitFor(async () => (await length(capped)) < 200, 10_000, 'capped stream trimmed');
      expect(c.service.stats().stream!.trimmed).toBeGreaterThanOrEqual(100);
      const tick = u.service.stats().stream!.refreshedAt;
      await waitFor(() => u.service.stats().stream!.refreshedAt !== tick, 5_000, 'a maintenance tick');
      expect(await length(untouched)).toBe(300);
      expect(u.service.stats().stream!.trimmed).toBe(0);
    });
  });

  it('holds at most the in-hand bound with both ways in under a burst, and loses nothing of either', async () => {
    const { accountId } = await engine.newAccount('burst'); // no subscriptions: the intake alone is measured
    const config = streamConfig('burst', { channel: true, batchSize: 100 });
    const { service } = await startListener({ ...config, listenerMaxInHand: 5 });
    const viaPubSub = Array.from({ length: 400 }, () => newEvent(accountId));
    const viaStream = Array.from({ length: 400 }, () => newEvent(accountId));
    const mark = logs.lines().length;

    const publishing = (async () => {
      const pipeline = streams.redis.pipeline();
      for (const event of viaPubSub) pipeline.publish(config.redisChannel!, JSON.stringify(event));
      await pipeline.exec();
    })();
    await Promise.all([publishing, streams.addMany(config.redisStream.key, viaStream, 100)]);
    await waitFor(async () => (await storedCount(accountId)) === 800, 90_000, '800 events stored');
    await waitFor(
      () => service.stats().intake.stored === 800 && service.stats().inHand.current === 0,
      10_000,
      'the intake done with all 800',
    );

    const stats = service.stats();
    expect(stats.inHand).toMatchObject({ current: 0, limit: 5, peak: 5 });
    expect(stats.intake).toMatchObject({ stored: 800, rejected: 0, lost: 0 });
    expect(stats.pubsub).toMatchObject({ received: 400, dropped: 0, waiting: 0, paused: false });
    expect(stats.pubsub!.pauses).toBeGreaterThan(0);
    expect(
      logs
        .lines()
        .slice(mark)
        .some((l) => String(l.msg).startsWith('messages in hand at the limit: Pub/Sub reads paused')),
    ).toBe(true);
    await waitFor(() => allAcknowledged(config), 10_000, 'every entry acknowledged');
  });
});
