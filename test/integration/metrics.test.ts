/**
 * /metrics of the three real processes (API, listener, worker, spawned as `npm run start:*` runs them) and the
 * Temporal SDK's own worker metrics, scraped before and after real deliveries: one event to a receiver answering
 * 200 and to one answering 500 (retried, then FAILURE), a re-publish and a malformed message.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/app/data-source';
import { createApiKeyRepository } from '../../src/keys/api-key.repository';
import { newEvent, SHORT_RETRY_ENV, waitFor } from '../helpers/engine';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { freePort } from '../helpers/free-port';
import { queriedMetricNames } from '../helpers/observability-files';
import { parseSamples, scrape, valueOf } from '../helpers/prometheus';
import { startReceiver, type Receiver } from '../helpers/receiver';
import {
  createPublisher,
  createStreamPublisher,
  publishWhenSubscribed,
  uniqueChannel,
  uniqueStream,
  type Publisher,
  type StreamPublisher,
} from '../helpers/redis';

jest.setTimeout(240_000);

const EVENT_TYPE = 'NEW_MESSAGE_FROM_VISITOR';

describe('Prometheus metrics of every process', () => {
  let dataSource: DataSource;
  let publisher: Publisher;
  let streamPublisher: StreamPublisher;
  let ok: Receiver;
  let failing: Receiver;
  let api: EngineProcess;
  let listener: EngineProcess;
  let worker: EngineProcess;
  const channel = uniqueChannel('metrics');
  const stream = uniqueStream('metrics');
  const ports = { api: 0, listener: 0, worker: 0, sdk: 0 };

  beforeAll(async () => {
    dataSource = createDataSource(process.env.DATABASE_URL as string, { poolSize: 2 });
    await dataSource.initialize();
    publisher = createPublisher(process.env.REDIS_URL as string);
    streamPublisher = createStreamPublisher(process.env.REDIS_URL as string);
    ok = await startReceiver();
    failing = await startReceiver();
    failing.setDefault({ status: 500, body: 'receiver broke' });
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();

    const env = {
      ...process.env,
      HOST: '127.0.0.1',
      WEBHOOKS_REDIS_CHANNEL: channel,
      WEBHOOKS_REDIS_STREAM: stream,
      TEMPORAL_TASK_QUEUE: `metrics-${process.env.TEST_RUN_ID}-${randomBytes(4).toString('hex')}`,
      SSRF_ALLOW_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'info',
      ...SHORT_RETRY_ENV,
      PORT: String(ports.api),
      WEBHOOKS_LISTENER_METRICS_PORT: String(ports.listener),
      WEBHOOKS_WORKER_METRICS_PORT: String(ports.worker),
      WEBHOOKS_WORKER_SDK_METRICS_PORT: String(ports.sdk),
    };
    api = spawnEngineProcess('src/main-api.ts', env);
    listener = spawnEngineProcess('src/main-listener.ts', env);
    worker = spawnEngineProcess('src/main-worker.ts', env);
    await Promise.all([
      api.logLine((l) => l.msg === 'API listening'),
      listener.logLine((l) => l.msg === 'redis listener subscribed'),
      listener.logLine((l) => l.msg === 'stream reader ready'),
      listener.logLine((l) => l.msg === 'metrics listening on /metrics'),
      worker.logLine((l) => l.msg === 'worker started', 0, 180_000),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), listener?.stop(), worker?.stop()]);
    await streamPublisher?.redis.del(stream).catch(() => undefined);
    await Promise.all([ok?.close(), failing?.close(), publisher?.close(), streamPublisher?.close()]);
    await dataSource?.destroy();
  });

  const apiUrl = (path: string) => `http://127.0.0.1:${ports.api}${path}`;

  it('counts intake, starts, attempts, outcomes and API requests, with no ids, URLs or accounts in any label', async () => {
    const accountId = `metrics-${process.env.TEST_RUN_ID}-${randomBytes(4).toString('hex')}`;
    const { key } = await createApiKeyRepository(dataSource).create(accountId);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const before = {
      api: await scrape(apiUrl('/metrics')),
      listener: await scrape(`http://127.0.0.1:${ports.listener}/metrics`),
      worker: await scrape(`http://127.0.0.1:${ports.worker}/metrics`),
    };
    // Counters exist at zero before anything happened (alerts and rate() see them from the start).
    expect(before.listener).toMatch(/^webhooks_intake_messages_total\{outcome="stored",role="listener"\} 0$/m);
    expect(valueOf(before.worker, 'webhooks_deliveries_succeeded_total')).toBe(0);

    const subscriptionIds: string[] = [];
    for (const url of [ok.url, failing.url]) {
      const response = await fetch(apiUrl('/webhooks/subscriptions'), {
        method: 'POST',
        headers,
        body: JSON.stringify({ url, events: [EVENT_TYPE] }),
      });
      expect(response.status).toBe(201);
      subscriptionIds.push(((await response.json()) as { id: string }).id);
    }
    expect((await fetch(apiUrl('/webhooks/subscriptions/not-a-uuid'), { headers })).status).toBe(404);
    expect((await fetch(apiUrl(`/nothing/here/${randomBytes(4).toString('hex')}`))).status).toBe(404);

    const event = newEvent(accountId, EVENT_TYPE);
    await publishWhenSubscribed(publisher, channel, event);
    await ok.waitForRequests(1, 60_000);
    await streamPublisher.add(stream, event); // the same id again by the stream, once dispatched: a duplicate
    await publisher.publish(channel, 'not json at all');

    await waitFor(
      async () => {
        const rows: Array<{ status: string }> = await dataSource.query(`SELECT status FROM webhook_deliveries WHERE event_id = $1`, [
          event.id,
        ]);
        return (
          rows.length === 2 &&
          rows
            .map((r) => r.status)
            .sort()
            .join() === 'FAILURE,SUCCESS'
        );
      },
      60_000,
      'one SUCCESS and one FAILURE delivery',
    );
    expect(ok.requests).toHaveLength(1);
    expect(failing.requests).toHaveLength(3);

    const listenerText = await waitFor(
      async () => {
        const text = await scrape(`http://127.0.0.1:${ports.listener}/metrics`);
        return valueOf(text, 'webhooks_intake_messages_total', { outcome: 'rejected' }) === 1 ? text : null;
      },
      15_000,
      'the listener counting the rejected message',
    );
    expect(valueOf(listenerText, 'webhooks_intake_messages_total', { outcome: 'stored' })).toBe(1);
    expect(valueOf(listenerText, 'webhooks_intake_messages_total', { outcome: 'duplicate' })).toBe(1);
    expect(valueOf(listenerText, 'webhooks_deliveries_started_total', { event_type: EVENT_TYPE })).toBe(2);
    expect(valueOf(listenerText, 'webhooks_dispatch_retries_total')).toBe(0);
    expect(valueOf(listenerText, 'webhooks_events_undispatched')).toBe(0);
    expect(valueOf(listenerText, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    // The stream reader's gauges, once its maintenance has measured the group: nothing unread, nothing unacknowledged.
    const streamText = await waitFor(
      async () => {
        const text = await scrape(`http://127.0.0.1:${ports.listener}/metrics`);
        return /^webhooks_stream_pending_entries\{role="listener"\} 0$/m.test(text) ? text : null;
      },
      20_000,
      'the stream gauges at 0',
    );
    expect(streamText).toMatch(/^webhooks_stream_lag_entries\{role="listener"\} 0$/m);

    // Deliveries run on the worker process and on the listener's embedded worker (eager start): each counts its own.
    const workerSum =
      (name: string, labels: Record<string, string> = {}) =>
      async () => {
        const [fromWorker, fromListener] = await Promise.all([
          scrape(`http://127.0.0.1:${ports.worker}/metrics`),
          scrape(`http://127.0.0.1:${ports.listener}/metrics`),
        ]);
        return valueOf(fromWorker, name, labels) + valueOf(fromListener, name, labels);
      };
    await waitFor(
      async () => (await workerSum('webhooks_deliveries_failed_total', { event_type: EVENT_TYPE })()) === 1,
      15_000,
      'the failed delivery counted',
    );
    expect(await workerSum('webhooks_deliveries_succeeded_total', { event_type: EVENT_TYPE })()).toBe(1);
    expect(await workerSum('webhooks_delivery_attempts_total', { outcome: '2xx' })()).toBe(1);
    expect(await workerSum('webhooks_delivery_attempts_total', { outcome: '5xx' })()).toBe(3);
    expect(await workerSum('webhooks_delivery_attempt_duration_seconds_count')()).toBe(4);
    expect(await workerSum('webhooks_delivery_attempt_duration_seconds_bucket', { outcome: '5xx', le: '+Inf' })()).toBe(3);
    const workerText = await scrape(`http://127.0.0.1:${ports.worker}/metrics`);
    expect(workerText).toMatch(/^# TYPE webhooks_deliveries_succeeded_total counter$/m);
    expect(listenerText).toMatch(/^# TYPE webhooks_deliveries_succeeded_total counter$/m);

    const apiText = await scrape(apiUrl('/metrics'));
    expect(valueOf(apiText, 'webhooks_api_requests_total', { method: 'POST', route: '/webhooks/subscriptions', status_class: '2xx' })).toBe(
      2,
    );
    expect(
      valueOf(apiText, 'webhooks_api_requests_total', { method: 'GET', route: '/webhooks/subscriptions/:id', status_class: '4xx' }),
    ).toBe(1);
    expect(valueOf(apiText, 'webhooks_api_requests_total', { route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(valueOf(apiText, 'webhooks_api_request_duration_seconds_count', { method: 'POST', route: '/webhooks/subscriptions' })).toBe(2);

    // The SDK's own worker metrics, from its core's exporter on its own port.
    const sdkText = await scrape(`http://127.0.0.1:${ports.sdk}/metrics`);
    expect(sdkText).toMatch(/^temporal_\w+/m);
    expect(sdkText).toMatch(/temporal_worker_task_slots_available\{/);

    for (const text of [apiText, listenerText, workerText, sdkText]) {
      for (const secretish of [accountId, key, ok.origin, failing.origin, `127.0.0.1:${ok.port}`, event.id, ...subscriptionIds]) {
        expect(text).not.toContain(secretish);
      }
    }
  });

  it('serves every metric that the Grafana dashboard and the Prometheus rules query', async () => {
    // After the deliveries above: histograms and labelled counters have their series.
    const texts = await Promise.all(
      [apiUrl('/metrics'), ...(['listener', 'worker', 'sdk'] as const).map((p) => `http://127.0.0.1:${ports[p]}/metrics`)].map(scrape),
    );
    const served = new Set(texts.flatMap((text) => parseSamples(text).map((sample) => sample.name)));
    const queried = queriedMetricNames();
    expect(queried.length).toBeGreaterThan(15);
    expect(queried.filter((name) => !served.has(name))).toEqual([]);
  });
});
