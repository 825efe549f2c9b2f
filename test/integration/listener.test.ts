/**
 * The Redis listener on real Redis and Postgres: malformed messages are kept with their reason and never stop it;
 * a Redis outage (a private redis-server, killed and restarted on the same port) is logged and survived.
 */
import { createDeliveryStarter } from '../../src/deliveries/delivery-starter';
import { startEventListenerService, type EventListenerService } from '../../src/events/event-listener.service';
import { dispatchTargetsIn } from '../../src/subscriptions/subscription.repository';
import { temporalConnections, type TemporalClientHandle } from '../../src/temporal/connections';
import { createDataSource } from '../../src/app/data-source';
import type { DataSource } from 'typeorm';
import { captureLogs, newEvent, testConfig, waitFor, type TestConfig } from '../helpers/engine';
import { createPublisher, publishWhenSubscribed, startPrivateRedis, type PrivateRedis, type Publisher } from '../helpers/redis';

describe('redis listener', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = createDataSource(testConfig('listener').databaseUrl, { poolSize: 4 });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });

  const rejectedOn = (channel: string): Promise<Array<{ raw: string; reason: string }>> =>
    dataSource.query('SELECT raw, reason FROM rejected_messages WHERE channel = $1 ORDER BY received_at, id', [channel]);
  const storedEvent = async (id: string) =>
    (await dataSource.query('SELECT id, body FROM webhook_events WHERE id = $1', [id]))[0] as { id: string; body: string } | undefined;

  describe('with the shared Redis', () => {
    const config = testConfig('listener', { WEBHOOKS_RETRY_MAX_ATTEMPTS: '1' });
    const logs = captureLogs('listener');
    let service: EventListenerService;
    let publisher: Publisher;
    let temporal: TemporalClientHandle;

    beforeAll(async () => {
      temporal = temporalConnections(config).lazyClient();
      service = startEventListenerService({
        config,
        dataSource,
        findSubscriptions: dispatchTargetsIn(dataSource),
        startDelivery: createDeliveryStarter({ client: temporal.client, config: config }),
        logger: logs.logger,
        maxMessageBytes: 4096,
      });
      publisher = createPublisher(config.redisUrl);
      await service.whenReady();
    });
    afterAll(async () => {
      await service?.stop();
      await publisher?.close();
      await temporal?.connection.close();
    });

    it('reports itself subscribed to the configured channel', () => {
      expect(service.status().pubsub).toMatchObject({
        connection: 'ready',
        subscribed: true,
        channel: config.redisChannel,
        lastError: null,
        paused: false,
      });
      expect(service.status().stream).toMatchObject({
        connection: 'ready',
        ready: true,
        stream: config.redisStream.key,
        group: config.redisStream.group,
      });
    });

    it('stores malformed messages with their reason, logs the reason, and goes on to accept the next good event', async () => {
      const good = newEvent('acct-listener');
      await publisher.publish(config.redisChannel, 'this is not json');
      await publisher.publish(config.redisChannel, JSON.stringify({ ...newEvent('acct-listener'), type: 'NOT_A_TYPE' }));
      await publisher.publish(config.redisChannel, JSON.stringify({ ...newEvent('acct-listener'), occurredAt: 'soon' }));
      await publisher.publish(config.redisChannel, good);

      const rejected = await waitFor(
        async () => {
          const rows = await rejectedOn(config.redisChannel);
          return rows.length >= 3 ? rows : null;
        },
        10_000,
        'three rejected messages',
      );
      // Messages are handled concurrently: the order of the rows is not the order of publication.
      const byReason = [...rejected].sort((a, b) => a.reason.localeCompare(b.reason));
      expect(byReason.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^invalid envelope: occurredAt: must be an ISO 8601 date-time/),
        expect.stringMatching(/^not valid JSON/),
        'unknown event type "NOT_A_TYPE" (not in the event catalog)',
      ]);
      expect(byReason[1].raw).toBe('this is not json');

      const stored = await waitFor(() => storedEvent(good.id), 10_000, 'the good event stored');
      expect(JSON.parse(stored.body)).toEqual(good);
      const loggedReasons = logs
        .lines()
        .filter((l) => l.msg === 'rejected a malformed event message')
        .map((l) => String(l.reason));
      expect(loggedReasons.sort()).toEqual(byReason.map((r) => r.reason).sort());
      expect(service.status().pubsub?.subscribed).toBe(true);
    });

    it('keeps only a capped excerpt of an oversized message and never logs its content', async () => {
      const huge = JSON.stringify({ ...newEvent('acct-listener'), data: { blob: 'Q'.repeat(100_000) } });
      await publisher.publish(config.redisChannel, huge);
      const row = await waitFor(
        async () => (await rejectedOn(config.redisChannel)).find((r) => /byte limit/.test(r.reason)),
        10_000,
        'oversized rejected',
      );
      expect(row.reason).toBe(`message is ${Buffer.byteLength(huge)} bytes, larger than the 4096-byte limit`);
      expect(row.raw.length).toBe(64 * 1024);
      expect(huge.startsWith(row.raw)).toBe(true);
      const logged = logs.lines().find((l) => l.reason === row.reason);
      expect(logged).toMatchObject({ bytes: Buffer.byteLength(huge), level: 40 });
      expect(JSON.stringify(logs.lines())).not.toContain('QQQQ');
    });
  });

  describe('when Redis goes down', () => {
    let redis: PrivateRedis;
    let service: EventListenerService;
    let temporal: TemporalClientHandle;
    let publisher: Publisher;
    const logs = captureLogs('listener-outage');
    let config: TestConfig;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      config = testConfig('listener-outage', { REDIS_URL: redis.url });
      temporal = temporalConnections(config).lazyClient();
      service = startEventListenerService({
        config,
        dataSource,
        findSubscriptions: dispatchTargetsIn(dataSource),
        startDelivery: createDeliveryStarter({ client: temporal.client, config: config }),
        logger: logs.logger,
      });
      publisher = createPublisher(redis.url);
      await service.whenReady();
    });
    afterAll(async () => {
      await service?.stop();
      await publisher?.close();
      await temporal?.connection.close();
      await redis?.stop();
    });

    it('logs the outage, reports not subscribed, then re-subscribes once Redis is back and accepts events again', async () => {
      await redis.kill();
      await logs.waitFor((l) => l.msg === 'redis connection error; the listener stays up and reconnects');
      await waitFor(() => !service.status().pubsub?.subscribed, 5_000, 'listener to report the outage');
      expect(service.status().pubsub?.lastError).toMatch(/ECONNREFUSED|Connection is closed|ECONNRESET/);

      await redis.start();
      await service.whenReady(15_000);
      expect(service.status().pubsub).toMatchObject({ connection: 'ready', subscribed: true, lastError: null });

      const event = newEvent('acct-outage');
      await publishWhenSubscribed(publisher, config.redisChannel, event);
      const stored = await waitFor(() => storedEvent(event.id), 10_000, 'event stored after the outage');
      expect(JSON.parse(stored.body)).toEqual(event);
    });
  });
});
