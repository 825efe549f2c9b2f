/**
 * The OpenTelemetry side of ./index.ts, loaded only when tracing is configured: a Node tracer provider (async-local
 * context, W3C propagation) whose spans go over OTLP/HTTP in batches, configured by OpenTelemetry's own variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_BSP_*`, ...), and Temporal's OpenTelemetry interceptors: the client carries the active context into workflow
 * starts, the workflow's spans are exported through a sink by the worker, and each activity execution is a span.
 */
import * as otel from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WebhookClient } from '../http/webhook-client';
import type { SpanAttributes, Tracing } from './index';

const TRACER_NAME = 'webhooks-engine';

/** The workflow side of Temporal's interceptors, bundled into the workflow code by the worker. */
export const WORKFLOW_INTERCEPTORS_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export function createTracing(serviceName: string): Tracing {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the process's own name.
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': serviceName }))
    .merge(detectResourcesSync({ detectors: [envDetectorSync] }));
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  const propagator = new W3CTraceContextPropagator();
  provider.register({ propagator });
  const tracer = provider.getTracer(TRACER_NAME);

  const run = async <T>(span: otel.Span, fn: () => Promise<T>): Promise<T> => {
    try {
      return await otel.context.with(otel.trace.setSpan(otel.context.active(), span), fn);
    } catch (error) {
      // The error's class only: messages may quote a receiver's or Postgres' words.
      span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
      throw error;
    } finally {
      span.end();
    }
  };

  return {
    inSpan: (name, attributes, fn) => run(tracer.startSpan(name, { attributes: defined(attributes) }), fn),

    receiving(traceparent, attributes, fn) {
      const parent = traceparent ? propagator.extract(otel.ROOT_CONTEXT, { traceparent }, otel.defaultTextMapGetter) : otel.ROOT_CONTEXT;
      const span = tracer.startSpan(
        'webhooks.event.receive',
        { kind: otel.SpanKind.CONSUMER, attributes: defined(attributes), root: !traceparent },
        parent,
      );
      return run(span, fn);
    },

    clientInterceptors: () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] }),

    workerOptions: () => ({
      interceptors: {
        workflowModules: [WORKFLOW_INTERCEPTORS_MODULE],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    }),

    traceWebhookClient: (client) => traceWebhookClient(client, tracer),

    logFields(): Record<string, string> {
      const context = otel.trace.getActiveSpan()?.spanContext();
      return context && otel.isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : {};
    },

    async shutdown() {
      await provider.shutdown();
    },
  };
}

/**
 * Each request a client span named after its method: the host and port it went to, the answer's status (or the
 * error's kind) and its duration. Never the URL's path or query, the body or any header (the signatures).
 */
function traceWebhookClient(client: WebhookClient, tracer: otel.Tracer): WebhookClient {
  return {
    async post(request) {
      const url = new URL(request.url);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      const span = tracer.startSpan('POST', {
        kind: otel.SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': url.hostname,
          'server.port': port,
          'url.scheme': url.protocol.slice(0, -1),
        },
      });
      try {
        const attempt = await otel.context.with(otel.trace.setSpan(otel.context.active(), span), () => client.post(request));
        const { result } = attempt;
        if (result.kind === 'response') {
          span.setAttribute('http.response.status_code', result.statusCode);
          if (result.statusCode >= 400) {
            span.setAttribute('error.type', String(result.statusCode));
            span.setStatus({ code: otel.SpanStatusCode.ERROR });
          }
        } else {
          span.setAttribute('error.type', result.error);
          span.setStatus({ code: otel.SpanStatusCode.ERROR });
        }
        return attempt;
      } catch (error) {
        span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
        span.setStatus({ code: otel.SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}

function defined(attributes: SpanAttributes): otel.Attributes {
  const out: otel.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}
