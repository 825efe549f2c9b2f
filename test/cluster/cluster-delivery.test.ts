/**
 * The engine on a real Temporal cluster (frontend, history, matching and worker processes on Postgres): two
 * listener processes (each hosting a delivery worker, the default layout) and two worker processes deliver
 * 1,000 events x 2 subscriptions from the stream while one worker is SIGKILLed and the history service restarts.
 * Then what the dev-server suite checks of one delivery holds here too: search attributes, the Failed status of an
 * exhausted delivery, and a reset that delivers again; and the Web UI lists the deliveries with their attributes.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { SHORT_RETRY_ENV, newEvent, waitFor } from '../helpers/engine';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, uniqueStream, type StreamPublisher } from '../helpers/redis';
import { fixtureAccountId, insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { ending, eventually, resetToFirstWorkflowTask, startDelivery, uniqueTaskQueue } from '../helpers/temporal';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';
import { startCostMeter } from './cluster-costs';
import { startTestCluster, type TestCluster } from './test-cluster';

const EVENTS = 1_000;
const SUBSCRIPTIONS = 2;
const TOTAL = EVENTS * SUBSCRIPTIONS;

const log = (line: string) => process.stderr.write(`[cluster suite] ${line}\n`);

describe('the engine on a Temporal cluster', () => {
  let cluster: TestCluster;
  let receiver: Receiver;
  let dataSource: DataSource;
  let box: SecretBox;
  let temporal: TemporalClientHandle;
  let client: Client;
  let streams: StreamPublisher;
  let config: Config;
  const processes: EngineProcess[] = [];
  let workers: EngineProcess[] = [];
  let stream: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ ui: true });
    log(`cluster up in ${cluster.startSeconds.toFixed(1)} s at ${cluster.address} (logs ${cluster.logDir})`);
    receiver = await startReceiver();
    stream = uniqueStream('cluster');
    config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: cluster.namespace,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('cluster'),
      WEBHOOKS_REDIS_STREAM: stream,
      WEBHOOKS_REDIS_CHANNEL: '',
      WEBHOOKS_REDIS_GROUP: `cluster-${randomBytes(4).toString('hex')}`,
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    });
    dataSource = createDataSource(config.databaseUrl, { poolSize: 4 });
    await dataSource.initialize();
    box = createSecretBox(requireEncryptionKey(config));
    temporal = await connectTemporalClient(config);
    client = temporal.client;
    streams = createStreamPublisher(config.redisUrl);
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await streams?.redis.del(stream).catch(() => undefined);
    await streams?.close();
    await temporal?.close();
    await dataSource?.destroy();
    await receiver?.close();
    await cluster?.stop();
  });

  it('delivers 1,000 events x 2 subscriptions once each through a worker SIGKILL and a history restart', async () => {
    const engineEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      WEBHOOKS_REDIS_STREAM: stream,
      WEBHOOKS_REDIS_CHANNEL: '',
      WEBHOOKS_REDIS_GROUP: config.redisStream!.group,
      WEBHOOKS_STREAM_CLAIM_IDLE_MS: '5000',
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'info',
    };
    workers = [spawnEngineProcess('src/main-worker.ts', engineEnv), spawnEngineProcess('src/main-worker.ts', engineEnv)];
    const listeners = [spawnEngineProcess('src/main-listener.ts', engineEnv), spawnEngineProcess('src/main-listener.ts', engineEnv)];
    processes.push(...workers, ...listeners);
    await Promise.all([
      ...workers.map((w) => w.logLine((l) => l.msg === 'worker started', 0, 180_000)),
      ...listeners.map((l) => l.logLine((line) => line.msg === 'embedded worker started', 0, 180_000)),
      ...listeners.map((l) => l.logLine((line) => line.msg === 'stream reader ready', 0, 180_000)),
    ]);

    const accountId = fixtureAccountId('cluster');
    const subscriptions = await Promise.all(
      ['a', 'b'].map((name) =>
        insertSubscription(dataSource, box, { url: `${receiver.origin}/cluster/${name}`, accountId, events: ['*'] }),
      ),
    );
    const events = Array.from({ length: EVENTS }, () => newEvent(accountId));
    const succeeded = async () =>
      (
        await dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE account_id = $1 AND status = 'SUCCESS'`, [
          accountId,
        ])
      )[0].n as number;

    // 20 s idle first: what the cluster and the polling engine spend with nothing to deliver, subtracted below.
    const meter = await startCostMeter(cluster, { url: cluster.postgresUrl, databases: [...cluster.databases] }, 20_000);
    const started = Date.now();
    await streams.addMany(stream, events);

    await waitFor(async () => (await succeeded()) >= TOTAL * 0.2, 300_000, '20% delivered');
    const killedAt = await succeeded();
    const victim = workers[0].child;
    const killed = new Promise((resolve) => victim.once('exit', resolve));
    victim.kill('SIGKILL');
    await killed;
    log(`worker ${victim.pid} SIGKILLed after ${killedAt} deliveries`);

    await waitFor(async () => (await succeeded()) >= TOTAL * 0.5, 300_000, '50% delivered');
    const restartedAt = await succeeded();
    const historyBefore = cluster.pid('history');
    await meter.beforeRestart('history');
    await cluster.restart('history');
    await meter.afterRestart('history');
    expect(cluster.pid('history')).not.toBe(historyBefore);
    log(`history restarted after ${restartedAt} deliveries (pid ${historyBefore} -> ${cluster.pid('history')})`);

    await waitFor(async () => (await succeeded()) === TOTAL, 480_000, `all ${TOTAL} deliveries SUCCESS`);
    const seconds = (Date.now() - started) / 1000;
    log(
      `${TOTAL} deliveries in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(1)}/s), receiver saw ${receiver.requests.length} requests`,
    );
    const costs = await meter.finish(TOTAL);
    const rounded = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v));
    log(`per delivery on the cluster, gross: ${rounded(costs.gross)}`);
    log(`idle, per second: ${rounded(costs.idlePerSecond)}`);
    log(`per delivery on the cluster, net of idle: ${rounded(costs.net)}`);

    // Exactly one delivery row per (event, subscription), all SUCCESS.
    const rows: Array<{ id: string; event_id: string; subscription_id: string; status: string }> = await dataSource.query(
      'SELECT id, event_id, subscription_id, status FROM webhook_deliveries WHERE account_id = $1',
      [accountId],
    );
    expect(rows).toHaveLength(TOTAL);
    expect(rows.every((row) => row.status === 'SUCCESS')).toBe(true);
    const expectedPairs = new Set(events.flatMap((e) => subscriptions.map((s) => `${e.id}|${s.subscription.id}`)));
    expect(new Set(rows.map((row) => `${row.event_id}|${row.subscription_id}`))).toEqual(expectedPairs);

    // The receiver got every (event, subscription) under one webhook-id: none lost, none delivered as two.
    const idsByPair = new Map<string, Set<string>>();
    for (const request of receiver.requests) {
      const name = request.path.split('/').pop() as 'a' | 'b';
      const subscriptionId = subscriptions[name === 'a' ? 0 : 1].subscription.id;
      const pair = `${request.json<{ id: string }>().id}|${subscriptionId}`;
      idsByPair.set(pair, (idsByPair.get(pair) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    expect(new Set(idsByPair.keys())).toEqual(expectedPairs);
    const rowIdOf = new Map(rows.map((row) => [`${row.event_id}|${row.subscription_id}`, row.id]));
    for (const [pair, ids] of idsByPair) expect([...ids]).toEqual([webhookIdFor(rowIdOf.get(pair) as string)]);
    // Repeats of one webhook-id are the at-least-once cost of the faults (an attempt sent, its worker killed).
    const repeats = receiver.requests.length - TOTAL;
    log(`repeated POSTs (same webhook-id): ${repeats}`);
    expect(repeats).toBeLessThan(TOTAL * 0.1);

    // Temporal agrees: every delivery workflow Completed, found by its search attributes.
    const count = (query: string) => client.workflowService.countWorkflowExecutions({ namespace: cluster.namespace, query });
    await eventually(
      async () => Number((await count(`WebhookAccountId = "${accountId}" AND ExecutionStatus = "Completed"`)).count),
      (n) => n === TOTAL,
      60_000,
    );
    for (const { subscription } of subscriptions) {
      expect(Number((await count(`WebhookSubscriptionId = "${subscription.id}"`)).count)).toBe(EVENTS);
    }
    expect(Number((await count(`WebhookAccountId = "${accountId}" AND ExecutionStatus != "Completed"`)).count)).toBe(0);
  });

  describe('as on the dev server', () => {
    let worker: TestWorker;
    let bundle: WorkflowBundle;
    let shortRetry: Config;

    beforeAll(async () => {
      shortRetry = loadConfig({
        ...process.env,
        ...SHORT_RETRY_ENV,
        TEMPORAL_ADDRESS: cluster.address,
        TEMPORAL_NAMESPACE: cluster.namespace,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('cluster-failed'),
        SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      });
      bundle = await bundleWorkflows();
      worker = await startTestWorker({ config: shortRetry, dataSource, taskQueue: shortRetry.temporal.taskQueue, bundle });
    });
    afterAll(async () => {
      await worker?.stop();
    });

    it('sets the search attributes at start, ends an exhausted delivery as Failed, and a reset delivers again', async () => {
      const { subscription } = await insertSubscription(dataSource, box, {
        url: `${receiver.origin}/failing/${randomBytes(3).toString('hex')}`,
      });
      const event = await insertEvent(dataSource, { accountId: subscription.accountId, type: 'CONVERSATION_CREATED' });
      let fixed = false;
      receiver.setDefault((request) => (request.path.startsWith('/failing/') && !fixed ? { status: 500 } : { status: 200 }));

      const handle = await startDelivery(client, shortRetry, event, subscription);
      expect((await ending(handle)).status).toBe('FAILED');
      const deliveries = createDeliveryRepository(dataSource);
      const delivery = await deliveries.findByEventAndSubscription(event.id, subscription.id);
      expect(delivery).toMatchObject({ status: 'FAILURE', attempts: 3, lastStatusCode: 500 });

      const described = await handle.describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.searchAttributes).toMatchObject({
        WebhookSubscriptionId: [subscription.id],
        WebhookAccountId: [subscription.accountId],
        WebhookEventType: ['CONVERSATION_CREATED'],
        WebhookTargetHost: [new URL(subscription.url).host],
      });
      // The UI's list of a subscription's failed deliveries.
      const failed = await eventually(
        async () => {
          const found: string[] = [];
          for await (const execution of client.workflow.list({
            query: `WebhookSubscriptionId = "${subscription.id}" AND ExecutionStatus = "Failed"`,
          })) {
            found.push(execution.workflowId);
          }
          return found;
        },
        (found) => found.length === 1,
        30_000,
      );
      expect(failed).toEqual([handle.workflowId]);

      fixed = true;
      const newRunId = await resetToFirstWorkflowTask(client, handle.workflowId, 'receiver fixed');
      expect((await ending(client.workflow.getHandle(handle.workflowId, newRunId))).status).toBe('COMPLETED');
      const after = await deliveries.findByEventAndSubscription(event.id, subscription.id);
      expect(after).toMatchObject({ status: 'SUCCESS', attempts: 4, lastStatusCode: 200 });
      const attempts = await deliveries.listAttempts(after!.id);
      expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    });

    it('serves the Web UI, whose API lists the deliveries with their search attributes', async () => {
      expect(cluster.uiUrl).not.toBeNull();
      const page = await fetch(`${cluster.uiUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');

      const { subscription } = await insertSubscription(dataSource, box, {
        url: `${receiver.origin}/ui/${randomBytes(3).toString('hex')}`,
      });
      const event = await insertEvent(dataSource, { accountId: subscription.accountId });
      receiver.setDefault({ status: 200 });
      const handle = await startDelivery(client, shortRetry, event, subscription);
      expect((await ending(handle)).status).toBe('COMPLETED');

      const query = encodeURIComponent(`WebhookSubscriptionId="${subscription.id}"`);
      const listed = await eventually(
        async () => {
          const response = await fetch(`${cluster.uiUrl}/api/v1/namespaces/${cluster.namespace}/workflows?query=${query}`);
          return (await response.json()) as {
            executions?: Array<{
              execution: { workflowId: string };
              status: string;
              searchAttributes?: { indexedFields?: Record<string, unknown> };
            }>;
          };
        },
        (body) => (body.executions ?? []).length === 1,
        30_000,
      );
      const [execution] = listed.executions!;
      expect(execution.execution.workflowId).toBe(handle.workflowId);
      expect(Object.keys(execution.searchAttributes?.indexedFields ?? {})).toEqual(
        expect.arrayContaining(['WebhookSubscriptionId', 'WebhookAccountId', 'WebhookEventType', 'WebhookTargetHost']),
      );
    });
  });
});
