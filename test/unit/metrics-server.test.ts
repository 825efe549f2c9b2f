import { Counter } from 'prom-client';
import { createLogger } from '../../src/logger';
import { defineListenerMetrics } from '../../src/metrics/metric-definitions';
import { startMetricsServer } from '../../src/metrics/metrics-server';
import { createMetricsRegistry } from '../../src/metrics/registry';
import { valueOf } from '../helpers/prometheus';

describe('the /metrics server of the listener and the worker', () => {
  it('binds a free port for 0 and serves its own registry only at GET /metrics', async () => {
    const registry = createMetricsRegistry('worker');
    new Counter({ name: 'probe_total', help: 'probe', registers: [registry] }).inc(3);
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, logger: createLogger('test', 'silent') });
    try {
      expect(server.port).toBeGreaterThan(0);
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await ok.text();
      expect(valueOf(text, 'probe_total', { role: 'worker' })).toBe(3);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes\{role="worker"\} \d+/m);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('exports the stream gauges only when the listener has a stream reader', async () => {
    const registry = createMetricsRegistry('listener');
    const zero = { stored: 0, duplicate: 0, rejected: 0, lost: 0 };
    defineListenerMetrics(registry, {
      intake: () => zero,
      deliveriesStarted: () => ({}),
      dispatchRetries: () => 0,
      undispatchedEvents: () => 0,
    });
    expect(await registry.metrics()).not.toMatch(/webhooks_stream_/);
  });

  it('feeds listener counters from running totals: each scrape adds only what grew', async () => {
    const registry = createMetricsRegistry('listener');
    const totals = { stored: 0, duplicate: 0, rejected: 0, lost: 0 };
    let started: Record<string, number> = {};
    let stream: { lag: number | null; pending: number | null } | null = null;
    defineListenerMetrics(registry, {
      intake: () => totals,
      deliveriesStarted: () => started,
      dispatchRetries: () => 0,
      undispatchedEvents: () => 7,
      stream: () => stream,
    });
    let text = await registry.metrics();
    expect(valueOf(text, 'webhooks_intake_messages_total', { outcome: 'stored' })).toBe(0);

    totals.stored = 5;
    started = { CONVERSATION_CREATED: 2, SOMETHING_NOT_IN_THE_CATALOG: 4 };
    stream = { lag: 12, pending: 3 };
    text = await registry.metrics();
    expect(valueOf(text, 'webhooks_intake_messages_total', { outcome: 'stored' })).toBe(5);
    expect(valueOf(text, 'webhooks_deliveries_started_total', { event_type: 'CONVERSATION_CREATED' })).toBe(2);
    expect(valueOf(text, 'webhooks_deliveries_started_total', { event_type: 'other' })).toBe(4);
    expect(valueOf(text, 'webhooks_events_undispatched')).toBe(7);
    expect(valueOf(text, 'webhooks_stream_lag_entries')).toBe(12);
    expect(valueOf(text, 'webhooks_stream_pending_entries')).toBe(3);

    totals.stored = 6;
    text = await registry.metrics();
    expect(valueOf(text, 'webhooks_intake_messages_total', { outcome: 'stored' })).toBe(6);
  });
});
