/**
 * The two process layouts, as real processes (src/main-listener.ts, src/main-worker.ts): a listener hosting the
 * delivery worker starts deliveries eagerly on it; a listener without it (WEBHOOKS_LISTENER_EMBEDDED_WORKER=false)
 * and a separate worker deliver with normal starts; and a listener with the embedded worker comes up and stores
 * events while Temporal is down, then delivers once Temporal answers.
 */
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { startTemporalDevServer, type RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { newEvent, testConfig, waitFor, type TestConfig } from '../helpers/engine';
import { freePort } from '../helpers/free-port';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createPublisher, publishWhenSubscribed, type Publisher } from '../helpers/redis';
import { fixtureAccountId, insertSubscription } from '../helpers/subscription-fixtures';

jest.setTimeout(180_000);

let dataSource: DataSource;
let box: SecretBox;
let temporal: TemporalClientHandle;
let receiver: Receiver;
let publisher: Publisher;
const processes: EngineProcess[] = [];

beforeAll(async () => {
  const config = loadConfig();
  dataSource = createDataSource(config.databaseUrl, { poolSize: 3 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  temporal = await connectTemporalClient(config);
  receiver = await startReceiver();
  publisher = createPublisher(config.redisUrl);
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await publisher?.close();
  await receiver?.close();
  await temporal?.close();
  await dataSource?.destroy();
});

function envOf(config: TestConfig, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WEBHOOKS_REDIS_CHANNEL: config.redisChannel,
    WEBHOOKS_REDIS_STREAM: config.redisStream.key,
    WEBHOOKS_REDIS_GROUP: config.redisStream.group,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

function start(entry: 'src/main-listener.ts' | 'src/main-worker.ts', env: NodeJS.ProcessEnv): EngineProcess {
  const started = spawnEngineProcess(entry, env);
  processes.push(started);
  return started;
}

/** Publishes one event for a fresh subscription to the receiver; resolves with the delivery's workflow id. */
async function publishOne(config: TestConfig): Promise<{ workflowId: string; eventId: string }> {
  const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url, accountId: fixtureAccountId('layout') });
  const event = newEvent(subscription.accountId);
  await publishWhenSubscribed(publisher, config.redisChannel, event);
  return { workflowId: deliveryWorkflowId(event.id, subscription.id), eventId: event.id };
}

async function deliveredEagerly(client: Client, workflowId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  const [started] = (await handle.fetchHistory()).events ?? [];
  return started?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted === true;
}

async function deliveryStatus(eventId: string): Promise<string | undefined> {
  const rows: Array<{ status: string }> = await dataSource.query('SELECT status FROM webhook_deliveries WHERE event_id = $1', [eventId]);
  return rows[0]?.status;
}

describe('process layouts', () => {
  beforeEach(() => receiver.reset());

  it('delivers through a listener with its embedded worker alone, the workflow started eagerly', async () => {
    const config = testConfig('layout-embedded');
    const listener = start('src/main-listener.ts', envOf(config, { WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'true' }));
    await listener.logLine((l) => l.msg === 'embedded worker started');
    await listener.logLine((l) => l.msg === 'redis listener subscribed');

    const { workflowId, eventId } = await publishOne(config);
    await receiver.waitForRequests(1, 30_000);
    expect(await deliveredEagerly(temporal.client, workflowId)).toBe(true);
    await waitFor(async () => (await deliveryStatus(eventId)) === 'SUCCESS', 15_000, 'SUCCESS');

    await listener.stop();
    expect(listener.child.exitCode).toBe(0);
    expect(listener.lines.some((l) => l.msg === 'embedded worker stopped')).toBe(true);
  });

  it('delivers through separate listener and worker processes, without eager start', async () => {
    const config = testConfig('layout-separate');
    const listener = start('src/main-listener.ts', envOf(config, { WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'false' }));
    const worker = start('src/main-worker.ts', envOf(config, {}));
    await worker.logLine((l) => l.msg === 'worker started');
    await listener.logLine((l) => l.msg === 'redis listener subscribed');

    const { workflowId, eventId } = await publishOne(config);
    await receiver.waitForRequests(1, 30_000);
    expect(await deliveredEagerly(temporal.client, workflowId)).toBe(false);
    await waitFor(async () => (await deliveryStatus(eventId)) === 'SUCCESS', 15_000, 'SUCCESS');
    expect(listener.lines.some((l) => String(l.msg).startsWith('embedded worker'))).toBe(false);
  });

  it('starts a listener with its embedded worker while Temporal is down, stores events, and delivers once Temporal is back', async () => {
    const ports = { port: await freePort(), uiPort: await freePort(), httpPort: await freePort(), metricsPort: await freePort() };
    const config = testConfig('layout-outage', { TEMPORAL_ADDRESS: `127.0.0.1:${ports.port}` });
    const listener = start('src/main-listener.ts', envOf(config, { WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'true' }));
    await listener.logLine((l) => l.msg === 'redis listener subscribed');
    await listener.logLine((l) => l.msg === 'embedded worker not running; retrying');

    const { eventId } = await publishOne(config);
    await waitFor(
      async () => {
        const rows: unknown[] = await dataSource.query('SELECT 1 FROM webhook_events WHERE id = $1', [eventId]);
        return rows.length === 1;
      },
      15_000,
      'event stored',
    );
    expect(receiver.requests).toHaveLength(0);

    let server: RunningDevServer | undefined;
    try {
      server = await startTemporalDevServer({
        config: { ...ports, dbFilename: null, logLevel: 'error' },
        headless: true,
        logFile: path.join(os.tmpdir(), `webhooks-test-layout-outage-${process.env.TEST_RUN_ID}.log`),
      });
      await listener.logLine((l) => l.msg === 'embedded worker started');
      await receiver.waitForRequests(1, 60_000);
      await waitFor(async () => (await deliveryStatus(eventId)) === 'SUCCESS', 30_000, 'SUCCESS');
      await listener.stop();
      expect(listener.child.exitCode).toBe(0);
    } finally {
      await listener.stop();
      await server?.stop();
    }
  });
});
