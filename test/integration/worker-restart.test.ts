/**
 * The worker as a real separate process (ts-node src/main-worker.ts, exactly the production composition root):
 * killed with SIGKILL while a receiver holds its local first attempt's request, a fresh worker finishes the delivery
 * under the same webhook-id once the workflow task times out; SIGTERM shuts it down gracefully.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { INTERRUPTED_ATTEMPT_ERROR } from '../../src/deliveries/attempt-log';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { ending, startDelivery, uniqueTaskQueue } from '../helpers/temporal';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const workerEnv = {
  WEBHOOKS_REQUEST_TIMEOUT_MS: '1000',
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_BACKOFF: '1',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_MAX_ATTEMPTS: '5',
  SSRF_ALLOW_CIDRS: '127.0.0.1/32',
  LOG_LEVEL: 'info',
};

interface WorkerProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once the process logged that it is polling. */
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(config: Config): WorkerProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main-worker.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...workerEnv, TEMPORAL_TASK_QUEUE: config.temporal.taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('"msg":"worker started"')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`worker exited (${signal ?? code}) before starting:\n${output}`)));
  });
  started.catch(() => undefined);
  return { child, output: () => output, started, exited };
}

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let temporal: TemporalClientHandle;
let receiver: Receiver;
const children: WorkerProcess[] = [];

beforeAll(async () => {
  config = loadConfig({ ...process.env, ...workerEnv, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('worker-restart') });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 3 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  temporal = await connectTemporalClient(config);
  receiver = await startReceiver();
});

afterAll(async () => {
  for (const worker of children) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await receiver?.close();
  await temporal?.close();
  await dataSource?.destroy();
});

describe('worker process', () => {
  it('completes a delivery with the same webhook-id after the worker is killed during the local first attempt and another starts', async () => {
    const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url });
    const event = await insertEvent(dataSource, { accountId: subscription.accountId });
    receiver.enqueue({ hang: true });
    receiver.setDefault({ status: 200 });

    const first = spawnWorker(config);
    children.push(first);
    await first.started;
    const handle = await startDelivery(temporal.client, config, event, subscription);
    const [held] = await receiver.waitForRequests(1, 30_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = spawnWorker(config);
    children.push(second);
    await second.started;
    const end = await ending(handle);
    expect(end.status).toBe('COMPLETED');

    const [, redelivered] = await receiver.waitForRequests(2, 1_000);
    const deliveries = createDeliveryRepository(dataSource);
    const delivery = await deliveries.findByEventAndSubscription(event.id, subscription.id);
    expect(delivery).toMatchObject({ status: 'SUCCESS', lastStatusCode: 200, attempts: 1 });
    expect(held!.headers['webhook-id']).toBe(webhookIdFor(delivery!.id));
    expect(redelivered!.headers['webhook-id']).toBe(held!.headers['webhook-id']);
    expect(redelivered!.body.equals(held!.body)).toBe(true);
    const attempts = await deliveries.listAttempts(delivery!.id);
    // The killed local attempt never got to record its answer (nor its marker): its entry reads as interrupted, and
    // the next worker, running the workflow task again, makes the local first attempt afresh as an entry of its own.
    // Every request the receiver got is an entry.
    expect(attempts).toHaveLength(receiver.requests.length);
    expect(attempts.map((a) => [a.attempt, a.activityAttempt, a.statusCode, a.error])).toEqual([
      [1, 1, null, INTERRUPTED_ATTEMPT_ERROR],
      [2, 1, 200, null],
    ]);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskTimedOutEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
  }, 120_000);

  it('shuts down gracefully on SIGTERM', async () => {
    const worker = spawnWorker(config);
    children.push(worker);
    await worker.started;
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    expect(code).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
