/**
 * Traces over OTLP from the real processes (src/main-listener.ts without its embedded worker, src/main-worker.ts),
 * into an OTLP/HTTP JSON receiver inside the test: one event, published with a traceparent, to two subscriptions, the
 * first attempt to one of them failing. One trace continues the publisher's, every span hangs from the listener's
 * receipt down to each attempt's record, and no span carries the body, a secret or a signature.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/app/data-source';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { connectTemporalClient } from '../../src/temporal/connections';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { newEvent, testConfig, waitFor, type TestConfig } from '../helpers/engine';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { createStreamPublisher, type StreamPublisher } from '../helpers/redis';
import { fixtureAccountId, insertSubscription } from '../helpers/subscription-fixtures';

jest.setTimeout(240_000);

const SPAN = { CLIENT: 3, CONSUMER: 5 } as const;

let dataSource: DataSource;
let otlp: OtlpReceiver;
let failingFirst: Receiver;
let ok: Receiver;
let streamPublisher: StreamPublisher;
/** The engine processes of the running test, stopped after it. */
const processes: EngineProcess[] = [];
/** The streams of the running test, deleted after it. */
const streams = new Set<string>();

beforeAll(async () => {
  dataSource = createDataSource(process.env.DATABASE_URL as string, { poolSize: 2 });
  await dataSource.initialize();
  otlp = await startOtlpReceiver();
  failingFirst = await startReceiver();
  ok = await startReceiver();
  streamPublisher = createStreamPublisher(process.env.REDIS_URL as string);
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  for (const stream of streams) await streamPublisher.redis.del(stream);
  streams.clear();
});

afterAll(async () => {
  await Promise.all([otlp?.close(), failingFirst?.close(), ok?.close(), streamPublisher?.close()]);
  await dataSource?.destroy();
});

/** The processes' environment: the test's stream and task queue, and tracing into the test's OTLP receiver. */
function engineEnv(config: TestConfig): NodeJS.ProcessEnv {
  streams.add(config.redisStream.key);
  return {
    ...process.env,
    WEBHOOKS_REDIS_CHANNEL: config.redisChannel,
    WEBHOOKS_REDIS_STREAM: config.redisStream.key,
    WEBHOOKS_REDIS_GROUP: config.redisStream.group,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '200',
    WEBHOOKS_LISTENER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_SDK_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
    OTEL_TRACES_SAMPLER: 'always_on',
    // Export every 100 ms rather than every 5 s: the test waits for the spans, not for a timer.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

function spawn(entry: 'src/main-listener.ts' | 'src/main-worker.ts', env: NodeJS.ProcessEnv): EngineProcess {
  const started = spawnEngineProcess(entry, env);
  processes.push(started);
  return started;
}

/** A fresh traceparent of the "publisher": its trace id and the id of its span. */
function publisherContext() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function deliveryStatuses(eventId: string): Promise<string> {
  const rows: Array<{ status: string }> = await dataSource.query('SELECT status FROM webhook_deliveries WHERE event_id = $1', [eventId]);
  return rows.map((r) => r.status).join();
}

/** From an attempt's span up to the receipt. */
const ATTEMPT_CHAIN = [
  'RunActivity:sendWebhook',
  'StartActivity:sendWebhook',
  'RunWorkflow:deliverWebhookWorkflow',
  'StartWorkflow:deliverWebhookWorkflow',
  'webhooks.event.dispatch',
  'webhooks.event.receive',
];

/** The span's ancestors' names, nearest first, within the received spans (stops where a parent was not received). */
function ancestry(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): string[] {
  const names: string[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) names.push(parent.name);
  return names;
}

it('continues the publisher trace from the receipt through every workflow start and attempt to its record', async () => {
  const config = testConfig('tracing');
  const listener = spawn('src/main-listener.ts', { ...engineEnv(config), WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'false' });
  const worker = spawn('src/main-worker.ts', engineEnv(config));
  await Promise.all([
    listener.logLine((l) => l.msg === 'stream reader ready'),
    worker.logLine((l) => l.msg === 'worker started', 0, 180_000),
  ]);
  const box = createSecretBox(requireEncryptionKey(loadConfig()));
  const accountId = fixtureAccountId('tracing');
  const first = await insertSubscription(dataSource, box, { url: failingFirst.url, accountId });
  const second = await insertSubscription(dataSource, box, { url: ok.url, accountId });
  failingFirst.enqueue({ status: 500, body: 'not yet' });

  const { traceId, spanId: publisherSpanId, traceparent } = publisherContext();
  const marker = `body-marker-${randomBytes(6).toString('hex')}`;
  const event = newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', { text: marker });
  await streamPublisher.add(config.redisStream.key, { ...event, traceparent });

  await waitFor(async () => (await deliveryStatuses(event.id)) === 'SUCCESS,SUCCESS', 60_000, 'both deliveries SUCCESS');
  expect(failingFirst.requests).toHaveLength(2);
  expect(ok.requests).toHaveLength(1);

  // Spans of the trace, once every process exported them: three attempt records and the two workflows' own spans.
  const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
  await waitFor(
    () =>
      inTrace().filter((s) => s.name === 'webhooks.attempt.record').length === 3 &&
      inTrace().filter((s) => s.name === 'RunWorkflow:deliverWebhookWorkflow').length === 2,
    30_000,
    'the spans of the trace',
  );
  const spans = inTrace();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const named = (name: string) => spans.filter((s) => s.name === name);

  // One receipt, a child of the publisher's span, in the listener; everything else hangs from it.
  const [receipt] = named('webhooks.event.receive');
  expect(named('webhooks.event.receive')).toHaveLength(1);
  expect(receipt).toMatchObject({ parentSpanId: publisherSpanId, kind: SPAN.CONSUMER, service: 'webhooks-listener' });
  expect(receipt.attributes['webhooks.event.id']).toBe(event.id);
  for (const span of spans.filter((s) => s !== receipt)) {
    expect({ span: span.name, reachesReceipt: ancestry(span, byId).at(-1) === 'webhooks.event.receive' }).toEqual({
      span: span.name,
      reachesReceipt: true,
    });
  }
  expect(ancestry(named('webhooks.event.store')[0], byId)).toEqual(['webhooks.event.receive']);
  expect(named('StartWorkflow:deliverWebhookWorkflow')).toHaveLength(2);
  for (const start of named('StartWorkflow:deliverWebhookWorkflow')) {
    expect(ancestry(start, byId)).toEqual(['webhooks.event.dispatch', 'webhooks.event.receive']);
  }

  // Each attempt: the HTTP request as a client span and the attempt's record, under the activity, its schedule by
  // the workflow, the workflow and its start. The worker process made them (the context crossed Temporal).
  const records = named('webhooks.attempt.record');
  expect(records).toHaveLength(3);
  for (const record of records) {
    expect(record.service).toBe('webhooks-worker');
    expect(ancestry(record, byId)).toEqual(ATTEMPT_CHAIN);
  }
  const requests = named('POST');
  expect(requests).toHaveLength(3);
  for (const request of requests) {
    expect(request.kind).toBe(SPAN.CLIENT);
    expect(ancestry(request, byId)).toEqual(ATTEMPT_CHAIN);
    expect(request.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1' });
  }
  const byPort = (port: number) =>
    requests.filter((r) => r.attributes['server.port'] === port).map((r) => r.attributes['http.response.status_code']);
  expect(byPort(failingFirst.port).sort()).toEqual([200, 500]);
  expect(byPort(ok.port)).toEqual([200]);
  // The two workflows: one per subscription, each under its own start.
  const workflows = named('RunWorkflow:deliverWebhookWorkflow');
  expect(new Set(workflows.map((w) => w.parentSpanId)).size).toBe(2);

  // Nothing of the body, the secrets or the signatures in any span, attribute or resource; nor the URL's path.
  const sent = [...failingFirst.requests, ...ok.requests];
  const forbidden = [
    marker,
    ...first.secrets,
    ...second.secrets,
    ...sent.map((r) => r.text()),
    ...sent.flatMap((r) => [String(r.headers['x-hub-signature-256']), String(r.headers['webhook-signature'])]),
    ...sent.flatMap((r) => String(r.headers['webhook-signature']).split(' ')),
    '/hook',
  ];
  const exported = otlp.bodies.join('\n');
  for (const value of forbidden) expect(exported.includes(value) ? value : null).toBeNull();
  // And no trace context goes to receivers: not in the body, not in a header.
  for (const request of sent) {
    expect(request.text()).not.toContain('traceparent');
    expect(Object.keys(request.headers).filter((h) => /traceparent|tracestate|baggage/.test(h))).toEqual([]);
    expect(JSON.parse(request.text())).toEqual(event);
  }

  // The delivery log lines carry the trace and span ids.
  const attemptLines = worker.lines.filter(
    (l) => typeof l.msg === 'string' && /^delivery attempt (succeeded|failed)/.test(l.msg) && l.deliveryId,
  );
  expect(attemptLines.length).toBeGreaterThanOrEqual(3);
  for (const line of attemptLines) {
    expect(line.traceId).toBe(traceId);
    expect(byId.get(String(line.spanId))?.name).toBe('RunActivity:sendWebhook');
  }
});

it('continues the trace through the listener with its embedded worker, the workflow started eagerly', async () => {
  const config = testConfig('tracing-embedded');
  const listener = spawn('src/main-listener.ts', { ...engineEnv(config), WEBHOOKS_LISTENER_EMBEDDED_WORKER: 'true' });
  await Promise.all([
    listener.logLine((l) => l.msg === 'stream reader ready'),
    listener.logLine((l) => l.msg === 'embedded worker started', 0, 180_000),
  ]);
  ok.reset();
  const box = createSecretBox(requireEncryptionKey(loadConfig()));
  const { subscription } = await insertSubscription(dataSource, box, { url: ok.url, accountId: fixtureAccountId('tracing') });
  const { traceId, spanId: publisherSpanId, traceparent } = publisherContext();
  const event = newEvent(subscription.accountId);
  await streamPublisher.add(config.redisStream.key, { ...event, traceparent });

  await waitFor(async () => (await deliveryStatuses(event.id)) === 'SUCCESS', 60_000, 'the delivery SUCCESS');
  const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
  await waitFor(
    () =>
      inTrace().some((s) => s.name === 'webhooks.attempt.record') && inTrace().some((s) => s.name === 'RunWorkflow:deliverWebhookWorkflow'),
    30_000,
    'the spans of the trace',
  );
  const spans = inTrace();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  expect(spans.filter((s) => s.name === 'webhooks.event.receive').map((s) => s.parentSpanId)).toEqual([publisherSpanId]);
  const [record] = spans.filter((s) => s.name === 'webhooks.attempt.record');
  expect(ancestry(record, byId)).toEqual(ATTEMPT_CHAIN);
  const [request] = spans.filter((s) => s.name === 'POST');
  expect(ancestry(request, byId)).toEqual(ATTEMPT_CHAIN);
  expect(request.attributes['http.response.status_code']).toBe(200);
  // One process made every span, and its start was eager (the first workflow task came back in the start's answer).
  expect([...new Set(spans.map((s) => s.service))]).toEqual(['webhooks-listener']);
  const temporal = await connectTemporalClient(loadConfig());
  try {
    const history = await temporal.client.workflow.getHandle(deliveryWorkflowId(event.id, subscription.id)).fetchHistory();
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted).toBe(true);
  } finally {
    await temporal.close();
  }
});
