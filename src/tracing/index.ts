/**
 * Tracing, off unless OpenTelemetry's own variables configure an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keep it off).
 *
 * This module loads nothing of OpenTelemetry (not even its API, though prom-client loads that one in every process):
 * the SDK, the exporter and the Temporal interceptors are required by
 * `startTracing` only when tracing is configured (./sdk.ts). While it is off, `inSpan` is a plain call of its function,
 * no client or worker interceptor is registered and log lines carry no trace fields.
 *
 * One trace per event: the listener's receipt (continuing the publisher's `traceparent`), storing it, dispatching
 * it, each workflow start, the workflow, each attempt with its HTTP request (a client span: method, host, status,
 * duration) and the attempt's record. Spans never carry a body, a secret, a signature or a URL path.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { DeliveryRepository } from '../deliveries/delivery.repository';
import type { WebhookClient } from '../http/webhook-client';

export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What the engine asks of a running tracer (implemented in ./sdk.ts). */
export interface Tracing {
  /** Runs `fn` in a child span of the active one; the span ends when `fn` settles (an error marks it failed). */
  inSpan<T>(name: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in the span of an event's receipt, a child of the publisher's `traceparent` when there is one (a new
   * trace otherwise).
   */
  receiving<T>(traceparent: string | undefined, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T>;
  /** The Temporal client interceptors that carry the active context into workflow starts. */
  clientInterceptors(): ClientInterceptors;
  /** Worker options adding the workflow and activity interceptors and the workflow span exporter. */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** The delivery HTTP client with each request as a client span. */
  traceWebhookClient(client: WebhookClient): WebhookClient;
  /** `traceId` and `spanId` of the active span (none outside a span): mixed into every log line. */
  logFields(): Record<string, string>;
  /** Exports what is buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

let active: Tracing | null = null;

/** True when the environment configures an OTLP traces endpoint and does not switch tracing off. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER !== undefined && env.OTEL_TRACES_EXPORTER.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts the process's tracer when the environment configures one (once per process; a second call returns the
 * first tracer). `serviceName` is the default of `OTEL_SERVICE_NAME`. Returns null while tracing is off.
 */
export function startTracing(env: NodeJS.ProcessEnv, serviceName: string): Tracing | null {
  if (active) return active;
  if (!tracingConfigured(env)) return null;
  // Required here, not imported at the top: with tracing off the SDK is never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load that `import` cannot express synchronously
  const { createTracing } = require('./sdk') as typeof import('./sdk');
  active = createTracing(serviceName);
  return active;
}

/** The running tracer, or null while tracing is off. */
export function activeTracing(): Tracing | null {
  return active;
}

/** Exports what is buffered and stops the tracer (a process's last step). */
export async function stopTracing(): Promise<void> {
  const tracing = active;
  active = null;
  await tracing?.shutdown();
}

/** `fn` in a child span of the active one; with tracing off, `fn()` and nothing else. */
export function inSpan<T>(name: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
  return active ? active.inSpan(name, attributes, fn) : fn();
}

/** `fn` in the span of an event's receipt (see Tracing.receiving); with tracing off, `fn()` and nothing else. */
export function receivingEvent<T>(traceparent: string | undefined, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
  return active ? active.receiving(traceparent, attributes, fn) : fn();
}

/**
 * Worker options with the tracer's interceptors (outermost, so an activity's span holds everything it does) and its
 * workflow span exporter; unchanged while tracing is off. A prebuilt workflow bundle must have been made with
 * `workflowInterceptorModules` for the workflow's spans (the worker logs that it ignores `workflowModules` otherwise).
 */
export function withTracing<T extends WorkerOptions>(options: T): T {
  if (!active) return options;
  const tracing = active.workerOptions();
  return {
    ...options,
    interceptors: {
      ...options.interceptors,
      workflowModules: [...(tracing.interceptors?.workflowModules ?? []), ...(options.interceptors?.workflowModules ?? [])],
      activity: [...(tracing.interceptors?.activity ?? []), ...(options.interceptors?.activity ?? [])],
    },
    sinks: { ...options.sinks, ...tracing.sinks },
  };
}

/** The repository with each attempt's record (`recordAttempt`) in a span; the same object while tracing is off. */
export function tracedAttemptRecords(deliveries: DeliveryRepository): DeliveryRepository {
  if (!active) return deliveries;
  const tracing = active;
  return {
    ...deliveries,
    recordAttempt: (deliveryId, record, options) =>
      tracing.inSpan(
        'webhooks.attempt.record',
        { 'webhooks.delivery.id': deliveryId, 'webhooks.attempt.status_code': record.statusCode ?? undefined },
        () => deliveries.recordAttempt(deliveryId, record, options),
      ),
  };
}
