/**
 * Every metric the engine exports, defined in one place (names, help, labels, buckets), per process role. Each
 * process has its own Registry (createMetricsRegistry) and calls the define* function of its role once; the
 * returned objects are what the process's code records into. docs/observability.md describes each metric.
 *
 * Labels are low-cardinality by construction: event types from the catalog (else `other`), outcome classes,
 * route templates and status classes. No ids, URLs, hosts or account names.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { eventTypeLabel } from './labels';

/** Seconds; an attempt is bounded by WEBHOOKS_REQUEST_TIMEOUT_MS (5 s by default), so the last bucket holds timeouts. */
export const ATTEMPT_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
export const API_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// ---------------------------------------------------------------------------------------------------------------
// API process
// ---------------------------------------------------------------------------------------------------------------

export interface ApiMetrics {
  readonly requests: Counter<'method' | 'route' | 'status_class'>;
  readonly requestDuration: Histogram<'method' | 'route'>;
}

export function defineApiMetrics(registry: Registry): ApiMetrics {
  return {
    requests: new Counter({
      name: 'webhooks_api_requests_total',
      help: 'REST API requests answered, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'webhooks_api_request_duration_seconds',
      help: 'Time to answer a REST API request, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: API_DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Listener process: read from the listener's own counters and gauges at scrape time.
// ---------------------------------------------------------------------------------------------------------------

/** Intake outcomes since start (both ways in together). */
export interface IntakeCounts {
  readonly stored: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly lost: number;
}

/** The stream reader's gauges (null: not measured yet). */
export interface StreamGauges {
  readonly lag: number | null;
  readonly pending: number | null;
}

/**
 * What the listener metrics read at each scrape. Counters are totals since the process started (the metric adds
 * what grew since the previous scrape); gauges are values now.
 */
export interface ListenerMetricsSource {
  intake(): IntakeCounts;
  /** Delivery workflows started (not the already-started re-publishes), by event type. */
  deliveriesStarted(): Readonly<Record<string, number>>;
  /** Background dispatch retries scheduled after a failed start (Temporal unreachable, ...). */
  dispatchRetries(): number;
  /** Events stored but not dispatched yet by this listener. */
  undispatchedEvents(): number;
  /**
   * The durable intake's gauges (Redis Streams consumer group: entries not yet read, read but unacknowledged),
   * null until first measured. The hook for the stream reader's stats; absent: no stream gauges are exported.
   */
  stream?: () => StreamGauges | null;
}

/** A counter fed from a running total: each scrape adds what the total grew by since the previous one. */
function totalsCounter<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
  read: () => ReadonlyArray<{ labels: Record<L, string>; total: number }>,
): Counter<L> {
  const seen = new Map<string, number>();
  return new Counter<L>({
    ...config,
    registers: [registry],
    collect() {
      for (const { labels, total } of read()) {
        const key = JSON.stringify(labels);
        // inc(0) makes the series appear at 0 before the first event, so rate() and alerts see it from the start.
        this.inc(labels as never, Math.max(0, total - (seen.get(key) ?? 0)));
        seen.set(key, Math.max(total, seen.get(key) ?? 0));
      }
    },
  });
}

export const INTAKE_OUTCOMES = ['stored', 'duplicate', 'rejected', 'lost'] as const;

export function defineListenerMetrics(registry: Registry, source: ListenerMetricsSource): void {
  totalsCounter(
    registry,
    { name: 'webhooks_intake_messages_total', help: 'Messages taken from Redis by the listener, by outcome.', labelNames: ['outcome'] },
    () => {
      const counts = source.intake();
      return INTAKE_OUTCOMES.map((outcome) => ({ labels: { outcome }, total: counts[outcome] }));
    },
  );
  totalsCounter(
    registry,
    {
      name: 'webhooks_deliveries_started_total',
      help: 'Delivery workflows started by the listener (one per event and matching subscription), by event type.',
      labelNames: ['event_type'],
    },
    () => {
      const byLabel = new Map<string, number>();
      for (const [type, total] of Object.entries(source.deliveriesStarted())) {
        const label = eventTypeLabel(type);
        byLabel.set(label, (byLabel.get(label) ?? 0) + total);
      }
      return [...byLabel].map(([event_type, total]) => ({ labels: { event_type }, total }));
    },
  );
  totalsCounter(
    registry,
    {
      name: 'webhooks_dispatch_retries_total',
      help: 'Background retries of an event whose delivery starts failed (e.g. Temporal unreachable).',
      labelNames: [],
    },
    () => [{ labels: {}, total: source.dispatchRetries() }],
  );
  new Gauge({
    name: 'webhooks_events_undispatched',
    help: 'Events stored by this listener whose deliveries are not all started yet (being dispatched or waiting for a retry).',
    registers: [registry],
    collect() {
      this.set(source.undispatchedEvents());
    },
  });
  const stream = source.stream;
  if (!stream) return;
  new Gauge({
    name: 'webhooks_stream_lag_entries',
    help: 'Stream entries the consumer group has not read yet (XINFO GROUPS lag).',
    registers: [registry],
    collect() {
      const lag = stream()?.lag;
      if (typeof lag === 'number') this.set(lag);
    },
  });
  new Gauge({
    name: 'webhooks_stream_pending_entries',
    help: 'Stream entries read by the consumer group but not acknowledged yet (XPENDING).',
    registers: [registry],
    collect() {
      const pending = stream()?.pending;
      if (typeof pending === 'number') this.set(pending);
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Worker process (and any process hosting a delivery worker)
// ---------------------------------------------------------------------------------------------------------------

export interface WorkerMetrics {
  readonly deliveriesSucceeded: Counter<'event_type'>;
  readonly deliveriesFailed: Counter<'event_type'>;
  readonly attempts: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
  readonly attemptsThrottled: Counter<'reason'>;
  readonly subscriptionsDisabled: Counter<'reason'>;
}

/** Why an attempt was put off: the `reason` label of webhooks_delivery_attempts_throttled_total. */
export const THROTTLE_REASONS = ['rate_limit', 'endpoint_busy', 'attempt_in_flight'] as const;

export function defineWorkerMetrics(registry: Registry): WorkerMetrics {
  return {
    deliveriesSucceeded: new Counter({
      name: 'webhooks_deliveries_succeeded_total',
      help: 'Deliveries that got a 2xx answer, by event type.',
      labelNames: ['event_type'],
      registers: [registry],
    }),
    deliveriesFailed: new Counter({
      name: 'webhooks_deliveries_failed_total',
      help: 'Deliveries recorded as FAILURE (retries exhausted or not retryable), by event type.',
      labelNames: ['event_type'],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'webhooks_delivery_attempts_total',
      help: 'HTTP delivery attempts, by outcome class (2xx, 3xx, 4xx, 5xx, other_status, timeout, network, refused, error).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    attemptDuration: new Histogram({
      name: 'webhooks_delivery_attempt_duration_seconds',
      help: 'Duration of one HTTP delivery attempt, connect to last byte, by outcome class.',
      labelNames: ['outcome'],
      buckets: ATTEMPT_DURATION_BUCKETS,
      registers: [registry],
    }),
    attemptsThrottled: throttledCounter(registry),
    subscriptionsDisabled: disabledCounter(registry),
  };
}

/** Why the engine switched a subscription off: the `reason` label of webhooks_subscriptions_disabled_total. */
export const DISABLED_REASONS = ['gone', 'failing'] as const;

function disabledCounter(registry: Registry): Counter<'reason'> {
  const counter = new Counter({
    name: 'webhooks_subscriptions_disabled_total',
    help: 'Subscriptions the engine switched off, by reason: gone (the receiver answered 410), failing (failing without a success for WEBHOOKS_DISABLE_AFTER_HOURS).',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of DISABLED_REASONS) counter.inc({ reason }, 0);
  return counter;
}

function throttledCounter(registry: Registry): Counter<'reason'> {
  const counter = new Counter({
    name: 'webhooks_delivery_attempts_throttled_total',
    help: "Delivery attempts put off without being made (no retry spent; the workflow waits on a timer), by reason: rate_limit (the subscription's rateLimitPerSecond), endpoint_busy (WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT requests already in flight to it from this worker), attempt_in_flight (another execution of the same attempt, a workflow task replayed by another worker, is making it).",
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every series from the start at 0, so rate() and alerts see them before the first throttled attempt.
  for (const reason of THROTTLE_REASONS) counter.inc({ reason }, 0);
  return counter;
}
