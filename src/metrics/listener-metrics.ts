/**
 * The listener's metrics, read from its own counters at scrape time (no recording calls in the intake path).
 */
import type { Registry } from 'prom-client';
import type { EventListenerService } from '../events/event-listener.service';
import { defineListenerMetrics, type ListenerMetricsSource, type StreamGauges } from './metric-definitions';

export interface ListenerMetricsOptions {
  /**
   * The durable intake's gauges: the stream reader's `status()` (its `{ lag, pending }`); without it
   * the stream gauges are absent from /metrics.
   */
  readonly stream?: () => StreamGauges | null;
}

export function listenerMetricsSource(
  service: Pick<EventListenerService, 'intake' | 'dispatcher'>,
  options: ListenerMetricsOptions = {},
): ListenerMetricsSource {
  return {
    intake: () => service.intake.counters(),
    deliveriesStarted: () => service.dispatcher.counters().started,
    dispatchRetries: () => service.dispatcher.counters().retries,
    undispatchedEvents: () => service.dispatcher.pending(),
    stream: options.stream,
  };
}

/** Registers the listener's metrics on `registry`, fed by `service`. */
export function registerListenerMetrics(
  registry: Registry,
  service: Pick<EventListenerService, 'intake' | 'dispatcher'>,
  options?: ListenerMetricsOptions,
): void {
  defineListenerMetrics(registry, listenerMetricsSource(service, options));
}
