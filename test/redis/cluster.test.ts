/**
 * Redis Cluster: three primaries (real redis-server processes, each with an AOF synced on every write). The engine
 * in this process (its API, its listener on the channel and the stream) and two delivery workers, all in Cluster
 * mode: events arrive both ways; a subscription's rate limit holds across the two workers (the limiter's keys of
 * one subscription share a hash slot, so its scripts run on one node); the node holding the stream is SIGKILLed
 * and started again mid-flow, and every event is still delivered once.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { parseEventsCommand, runEventsCommand } from '../../src/events/events-cli';
import { newEvent, startEngine, testConfig, waitFor, type Engine, type TestConfig } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, pendingOf, type StreamPublisher } from '../helpers/redis';
import { startClusterTopology, type ClusterTopology } from '../helpers/redis-topologies';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

/** The most requests that arrived within any window of `windowMs` (sliding, from each arrival). */
function mostInAnyWindow(arrivals: readonly number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  return Math.max(0, ...sorted.map((start) => sorted.filter((t) => t >= start && t < start + windowMs).length));
}

/** Each event id the receiver saw, with the webhook-ids it came under. */
function webhookIdsOf(receiver: Receiver): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  for (const request of receiver.requests) {
    const eventId = request.json<{ id: string }>().id;
    ids.set(eventId, (ids.get(eventId) ?? new Set()).add(String(request.headers['webhook-id'])));
  }
  return ids;
}

describe('Redis Cluster', () => {
  let topology: ClusterTopology;
  let config: TestConfig;
  let engine: Engine;
  let bundle: WorkflowBundle;
  let streams: StreamPublisher;
  const workers: TestWorker[] = [];
  const receivers: Receiver[] = [];

  const worker = async (tag: string) => {
    const started = await startTestWorker({
      config,
      dataSource: engine.dataSource,
      taskQueue: config.temporal.taskQueue,
      bundle,
      decorate: (deps) => ({
        ...deps,
        http: { post: (request) => deps.http.post({ ...request, headers: { ...request.headers, 'x-test-worker': tag } }) },
      }),
    });
    workers.push(started);
    return started;
  };

  const subscribe = async (rateLimitPerSecond: number | null = null) => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const { accountId, key } = await engine.newAccount('cluster');
    const created = await engine.request('POST', '/webhooks/subscriptions', key, {
      url: `${receiver.origin}/hooks/${randomBytes(4).toString('hex')}`,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
      rateLimitPerSecond,
    });
    expect(created.status).toBe(201);
    return { accountId, receiver, subscriptionId: String(created.body.id) };
  };

  /** XADD until Redis takes it (a restarting node refuses for a while; a second entry of an event is deduplicated). */
  const addDurably = async (event: object) => {
    await waitFor(() => streams.add(config.redisStream.key, event), 60_000, 'the stream to take the entry');
  };

  beforeAll(async () => {
    topology = await startClusterTopology();
    bundle = await bundleWorkflows();
    config = testConfig('cluster', {
      ...topology.env,
      WEBHOOKS_STREAM_CLAIM_IDLE_MS: '1000',
      WEBHOOKS_STREAM_BLOCK_MS: '500',
      // Only the rate limiter puts sends off here (the in-flight bound is per worker).
      WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: '1000',
    });
    engine = await startEngine(config);
    await worker('w1');
    await worker('w2');
    streams = createStreamPublisher(config);
  });

  afterAll(async () => {
    await streams?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await engine?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await topology?.stop();
  });

  it('delivers events from the stream (a publisher and the CLI) and from the channel', async () => {
    const { accountId, receiver } = await subscribe();
    const viaStream = Array.from({ length: 10 }, () => newEvent(accountId));
    const viaChannel = Array.from({ length: 10 }, () => newEvent(accountId));
    for (const event of viaStream) await streams.add(config.redisStream.key, event);
    // A Cluster forwards a PUBLISH to every node; the listener is subscribed on one of them.
    for (const event of viaChannel) await engine.publish(event);
    // `cli events publish`, in Cluster mode like every process.
    const out = { stdout: '', stderr: '' };
    const command = parseEventsCommand(['publish', '--account', accountId, '--type', 'NEW_MESSAGE_FROM_VISITOR']);
    const exitCode = await runEventsCommand(command, config, {
      stdout: (text) => (out.stdout += text),
      stderr: (text) => (out.stderr += text),
    });
    expect({ exitCode, stdout: out.stdout }).toEqual({ exitCode: 0, stdout: `${command.eventId}\n` });

    await waitFor(() => webhookIdsOf(receiver).size === 21, 60_000, '21 events delivered');
    const ids = webhookIdsOf(receiver);
    expect(new Set(ids.keys())).toEqual(new Set([...viaStream, ...viaChannel].map((e) => e.id).concat(command.eventId)));
    expect([...ids.values()].every((webhookIds) => webhookIds.size === 1)).toBe(true);
  });

  it('holds a subscription limited to 5/s at 5 in any second across two workers', async () => {
    const { accountId, receiver, subscriptionId } = await subscribe(5);
    const events = Array.from({ length: 30 }, () => newEvent(accountId));
    await streams.addMany(config.redisStream.key, events);

    await waitFor(() => webhookIdsOf(receiver).size === 30, 90_000, '30 events delivered');
    const arrivals = receiver.requests;
    expect(
      mostInAnyWindow(
        arrivals.map((r) => r.receivedAt),
        1_000,
      ),
    ).toBeLessThanOrEqual(5);
    expect(new Set(arrivals.map((r) => r.headers['x-test-worker']))).toEqual(new Set(['w1', 'w2']));
    // The limiter's keys of this subscription: one hash tag, so one slot (its scripts touch all three).
    const slots = await Promise.all(
      ['flying', 'sent', 'queue'].map(async (name) =>
        Number(await streams.redis.call('CLUSTER', 'KEYSLOT', `webhooks:rate:{${subscriptionId}}:${name}`)),
      ),
    );
    expect(new Set(slots).size).toBe(1);
  });

  it('loses nothing when the node holding the stream is restarted mid-flow', async () => {
    const { accountId, receiver } = await subscribe();
    const events = Array.from({ length: 60 }, () => newEvent(accountId));
    const streamNode = await topology.nodeOf(config.redisStream.key);
    const channelEvent = newEvent(accountId);

    let restarted: Promise<void> = Promise.resolve();
    for (const [index, event] of events.entries()) {
      if (index === 30) {
        // Some of the first half delivered, the rest still in the stream or in hand: the node goes down under them.
        await waitFor(() => receiver.requests.length >= 5, 60_000, 'deliveries under way');
        restarted = topology.restart(streamNode);
      }
      await addDurably(event);
    }
    await restarted;

    await waitFor(() => webhookIdsOf(receiver).size === events.length, 120_000, `all ${events.length} stream events delivered`);
    const ids = webhookIdsOf(receiver);
    expect(new Set(ids.keys())).toEqual(new Set(events.map((e) => e.id)));
    expect([...ids.values()].filter((webhookIds) => webhookIds.size !== 1)).toEqual([]);
    const [{ rows }] = await engine.dataSource.query('SELECT count(*)::int AS rows FROM webhook_deliveries WHERE account_id = $1', [
      accountId,
    ]);
    expect(rows).toBe(events.length);
    await waitFor(
      async () => (await pendingOf(streams.redis, config.redisStream.key, config.redisStream.group)).count === 0,
      30_000,
      'nothing left pending in the group',
    );

    // The channel still works after the restart (its subscriber may have moved to another node): published until
    // it arrives (Pub/Sub keeps nothing for a subscriber that is moving; a repeat is deduplicated).
    await waitFor(
      async () => {
        await engine.publish(channelEvent);
        return webhookIdsOf(receiver).has(channelEvent.id);
      },
      60_000,
      'the channel event delivered after the restart',
    );
    expect(webhookIdsOf(receiver).get(channelEvent.id)?.size).toBe(1);
  });
});
