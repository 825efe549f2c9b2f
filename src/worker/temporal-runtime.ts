/**
 * The Temporal SDK's process-wide Runtime, installed once before the first NativeConnection: with a Prometheus
 * exporter for the SDK's own worker metrics (task slots, poll and schedule-to-start latencies, sticky cache, ...)
 * served by the SDK's core on its own port. Metric names stay the SDK's defaults, so Temporal's published
 * dashboards and alerts apply unchanged.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';
import { sdkLoggerFor } from './sdk-logger';

/** `host:port` as the SDK's exporter wants it (IPv6 hosts in brackets). */
export function bindAddressOf(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Installs the Runtime with the process's logger for the SDK's lines (see sdk-logger.ts) and, unless `sdkMetricsPort`
 * is null, the SDK metrics on `host:port`.
 */
export function installTemporalRuntime(options: { host: string; sdkMetricsPort: number | null; logger: Logger }): void {
  const metrics =
    options.sdkMetricsPort === null ? undefined : { prometheus: { bindAddress: bindAddressOf(options.host, options.sdkMetricsPort) } };
  Runtime.install({ logger: sdkLoggerFor(options.logger), telemetryOptions: metrics ? { metrics } : undefined });
}
