/**
 * What the Temporal UI shows for a delivery, read back from the server: the workflow's one-line summary, each
 * activity's summary, failures carrying the receiver's answer rather than the worker's stack, and the worker's log
 * lines for the delivery carrying its workflow id and webhook-id.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { webhookIdFor } from '../../src/http/signer';
import { connectTemporalClient, connectWorker, type TemporalClientHandle } from '../../src/temporal/connections';
import { targetHostOf } from '../../src/temporal/contract';
import { deliverySummary } from '../../src/temporal/delivery-start';
import { buildActivityDeps } from '../../src/worker/activity-deps';
import { createWorker } from '../../src/worker/create-worker';
import { captureLogs, type CapturedLogs } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { ending, startDelivery, uniqueTaskQueue } from '../helpers/temporal';
import { bundleWorkflows } from '../helpers/worker';

jest.setTimeout(90_000);

type Failure = temporal.api.failure.v1.IFailure;
const EventType = {
  SCHEDULED: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  ACTIVITY_FAILED: 'EVENT_TYPE_ACTIVITY_TASK_FAILED',
  MARKER: 'EVENT_TYPE_MARKER_RECORDED',
  WORKFLOW_FAILED: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
};

/** Stack traces of a failure and its causes. */
function tracesOf(failure: Failure | null | undefined): string[] {
  const traces: string[] = [];
  for (let current = failure; current; current = current.cause) traces.push(current.stackTrace ?? '');
  return traces;
}

const summaryOf = (metadata: temporal.api.sdk.v1.IUserMetadata | null | undefined): string | undefined =>
  metadata?.summary ? defaultPayloadConverter.fromPayload<string>(metadata.summary) : undefined;

/** Anything that looks like a worker's stack frame: a source file with a line number. */
const STACK_FRAME = /\.(ts|js):\d+|at \S+ \(|node_modules|\/activities\/|\/workflows\//;

describe('a delivery in the Temporal UI', () => {
  let config: Config;
  let dataSource: DataSource;
  let handle: TemporalClientHandle;
  let client: Client;
  let bundle: WorkflowBundle;
  let worker: Worker;
  let running: Promise<void>;
  let closeConnection: () => Promise<void>;
  let receiver: Receiver;
  let logs: CapturedLogs;

  beforeAll(async () => {
    config = loadConfig({
      ...process.env,
      WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '100',
      WEBHOOKS_RETRY_BACKOFF: '1',
      WEBHOOKS_RETRY_MAX_INTERVAL_MS: '100',
      WEBHOOKS_RETRY_MAX_ATTEMPTS: '3',
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('ui'),
    });
    dataSource = createDataSource(config.databaseUrl, { poolSize: 4 });
    await dataSource.initialize();
    handle = await connectTemporalClient(config);
    client = handle.client;
    bundle = await bundleWorkflows();
    logs = captureLogs('ui-worker');
    const connection = await connectWorker(config);
    closeConnection = () => connection.close();
    worker = await createWorker({
      config,
      connection,
      activities: createActivities(buildActivityDeps({ config, dataSource, logger: logs.logger })),
      workflowBundle: bundle,
      shutdownGraceTime: '1 second',
    });
    running = worker.run();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await closeConnection?.();
    await receiver?.close();
    await handle?.close();
    await dataSource?.destroy();
  });

  it("has a one-line summary, activity summaries, the receiver's answer in its failures and correlated log lines", async () => {
    receiver.setDefault({ status: 500, body: 'upstream   database\nis down' });
    const box = createSecretBox(requireEncryptionKey(config));
    const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url });
    const event = await insertEvent(dataSource, { accountId: subscription.accountId, type: 'CONVERSATION_CREATED' });
    const workflow = await startDelivery(client, config, event, subscription);
    expect((await ending(workflow)).status).toBe('FAILED');
    const host = targetHostOf(subscription.url);

    // The workflow's summary: what the UI's list shows.
    const description = await workflow.describe();
    const summary = await description.staticSummary();
    expect(summary).toBe(deliverySummary({ eventType: 'CONVERSATION_CREATED', targetHost: host, subscriptionId: subscription.id }));
    expect(summary).toBe(`CONVERSATION_CREATED → ${host} · subscription ${subscription.id}`);
    expect(await description.staticDetails()).toContain(event.id);

    const history = await workflow.fetchHistory();
    const events = history.events ?? [];
    const typeOf = (e: (typeof events)[number]) => String(temporalEventType(e.eventType));

    // The regular activity (attempts 2-3) and the failure bookkeeping carry their summaries.
    const scheduled = events.filter((e) => typeOf(e) === EventType.SCHEDULED).map((e) => summaryOf(e.userMetadata));
    expect(scheduled).toEqual([`POST CONVERSATION_CREATED to ${host} (attempts 2-3)`, 'record the delivery as FAILURE']);
    // The local first attempt's marker carries its summary too.
    const markers = events.filter((e) => typeOf(e) === EventType.MARKER).map((e) => summaryOf(e.userMetadata));
    expect(markers).toEqual([`POST CONVERSATION_CREATED to ${host} (attempt 1)`]);

    // Failures: the short reason as the message, the receiver's answer where the UI shows a stack trace.
    const activityFailure = events.find((e) => typeOf(e) === EventType.ACTIVITY_FAILED)?.activityTaskFailedEventAttributes?.failure;
    expect(activityFailure?.message).toBe('HTTP 500');
    expect(activityFailure?.stackTrace).toMatch(
      new RegExp(`^${host.replace(/\./g, '\\.')} answered HTTP 500 in \\d+ ms:\\nupstream database is down$`),
    );
    const workflowFailure = events.find((e) => typeOf(e) === EventType.WORKFLOW_FAILED)?.workflowExecutionFailedEventAttributes?.failure;
    expect(workflowFailure?.message).toBe('delivery failed: HTTP 500');
    const traces = tracesOf(workflowFailure);
    expect(traces.join('\n')).toContain('upstream database is down');
    for (const trace of traces) expect(trace).not.toMatch(STACK_FRAME);
    const markerFailure = events.find((e) => typeOf(e) === EventType.MARKER)?.markerRecordedEventAttributes?.failure;
    for (const trace of tracesOf(markerFailure)) expect(trace).not.toMatch(STACK_FRAME);

    // Every log line of this delivery's activities carries its workflow id and webhook-id.
    const delivery = await createDeliveryRepository(dataSource).findByEventAndSubscription(event.id, subscription.id);
    const webhookId = webhookIdFor(delivery!.id);
    const lines = logs.lines().filter((line) => line.deliveryId === delivery!.id);
    expect(lines.map((line) => line.msg)).toEqual([
      'delivery attempt failed, will retry',
      'delivery attempt failed, will retry',
      'delivery attempt failed, will retry',
      'delivery finished',
    ]);
    for (const line of lines) expect(line).toMatchObject({ workflowId: workflow.workflowId, webhookId });
  });

  it('refusals read as their reason, with no stack either', async () => {
    const box = createSecretBox(requireEncryptionKey(config));
    const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url, isActive: false });
    const event = await insertEvent(dataSource, { accountId: subscription.accountId });
    const workflow = await startDelivery(client, config, event, subscription);
    expect((await ending(workflow)).status).toBe('FAILED');
    const events = (await workflow.fetchHistory()).events ?? [];
    const failed = events.find((e) => String(temporalEventType(e.eventType)) === EventType.WORKFLOW_FAILED)
      ?.workflowExecutionFailedEventAttributes?.failure;
    expect(failed?.message).toBe(`delivery failed: subscription ${subscription.id} is inactive`);
    for (const trace of tracesOf(failed)) expect(trace).toBe('');
    const line = await logs.waitFor(
      (l) => l.msg === 'delivery refused before sending, not retrying' && l.workflowId === workflow.workflowId,
    );
    expect(line.webhookId).toMatch(/^msg_/);
  });
});

/** History event types arrive as enum numbers: their names, as the UI shows them. */
function temporalEventType(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { temporal: proto } = require('@temporalio/proto') as typeof import('@temporalio/proto');
  return typeof value === 'number' ? proto.api.enums.v1.EventType[value] : String(value);
}
