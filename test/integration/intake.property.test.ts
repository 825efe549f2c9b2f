/**
 * The intake against arbitrary messages on both ways in, with real Redis and Postgres (and the listener's Temporal
 * client): whatever a batch holds, every message ends exactly once, stored or kept in rejected_messages with a reason,
 * none is lost or left in hand, and the stream keeps nothing pending.
 */
import { createDeliveryStarter } from '../../src/deliveries/delivery-starter';
import fc from 'fast-check';
import { startEventListenerService, type EventListenerService } from '../../src/events/event-listener.service';
import { dispatchTargetsIn } from '../../src/subscriptions/subscription.repository';
import { temporalConnections } from '../../src/temporal/connections';
import { captureLogs, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';
import { anyMessageFor } from '../helpers/hostile-messages';
import { createStreamPublisher, pendingOf, publishWhenSubscribed, type StreamPublisher } from '../helpers/redis';

jest.setTimeout(600_000);

const outcomes = (service: EventListenerService) => {
  const { stored, duplicate, rejected, lost } = service.intake.counters();
  return { ended: stored + duplicate + rejected, rejected, lost };
};

describe('intake, any message', () => {
  let engine: Engine;
  let streams: StreamPublisher;
  let service: EventListenerService;
  let closeService: () => Promise<void>;

  beforeAll(async () => {
    engine = await startEngine(testConfig('intake-property', { WEBHOOKS_LISTENER_MAX_IN_HAND: '8', WEBHOOKS_STREAM_BLOCK_MS: '200' }), {
      listener: false,
    });
    streams = createStreamPublisher(engine.config.redisUrl);
    const temporal = temporalConnections(engine.config).lazyClient();
    service = startEventListenerService({
      config: engine.config,
      dataSource: engine.dataSource,
      findSubscriptions: dispatchTargetsIn(engine.dataSource),
      startDelivery: createDeliveryStarter({ client: temporal.client, config: engine.config }),
      logger: captureLogs('intake-property').logger,
    });
    closeService = async () => {
      await service.stop();
      await temporal.connection.close();
    };
    await service.whenReady();
  });
  afterAll(async () => {
    await closeService?.();
    await streams?.redis.del(engine.config.redisStream.key);
    await streams?.close();
    await engine?.close();
  });

  const rejectedRows = async (channel: string): Promise<number> =>
    (await engine.dataSource.query(`SELECT count(*)::int AS n FROM rejected_messages WHERE channel = $1`, [channel]))[0].n;

  const batch = (accountId: string) =>
    fc.array(
      fc.oneof(
        anyMessageFor(accountId).map((text): string | Buffer => text),
        fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
      ),
      {
        minLength: 1,
        maxLength: 12,
      },
    );

  it.each(['stream', 'channel'] as const)('ends every message on the %s exactly once, stored or rejected with a reason', async (way) => {
    const { accountId } = await engine.newAccount(`intake-${way}`);
    const target = way === 'stream' ? engine.config.redisStream.key : engine.config.redisChannel;
    await fc.assert(
      fc.asyncProperty(batch(accountId), async (messages) => {
        const before = outcomes(service);
        const rowsBefore = await rejectedRows(target);
        if (way === 'stream') {
          for (const message of messages) await streams.redis.call('XADD', target, '*', 'event', message);
        } else {
          for (const message of messages)
            await publishWhenSubscribed(
              { publish: (channel, m) => streams.redis.publish(channel, m as string), close: async () => undefined },
              target,
              message,
            );
        }
        const after = await waitFor(
          () => {
            const now = outcomes(service);
            return now.ended + now.lost - before.ended - before.lost >= messages.length ? now : undefined;
          },
          60_000,
          `${messages.length} messages ended`,
        );
        expect(after.ended - before.ended).toBe(messages.length);
        expect(after.lost).toBe(before.lost);
        expect((await rejectedRows(target)) - rowsBefore).toBe(after.rejected - before.rejected);
        await waitFor(() => service.stats().inHand.current === 0 || undefined, 10_000, 'nothing in hand');
        if (way === 'stream') {
          const { group } = engine.config.redisStream;
          await waitFor(
            async () => (await pendingOf(streams.redis, target, group)).count === 0 || undefined,
            10_000,
            'nothing pending on the stream',
          );
        }
      }),
      { seed: fuzzSeed(19), numRuns: fuzzRuns(25), endOnFailure: true },
    );
    const reasons: Array<{ reason: string }> = await engine.dataSource.query(`SELECT reason FROM rejected_messages WHERE channel = $1`, [
      target,
    ]);
    expect(reasons.every((r) => r.reason.length > 0)).toBe(true);
  });
});
