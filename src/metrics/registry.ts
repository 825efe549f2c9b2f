/**
 * One Prometheus registry per process (never prom-client's global one, so tests running several parts in one
 * process keep them apart), with the Node.js process metrics (CPU, memory, event loop lag, GC) registered on it.
 *
 * prom-client is used because it is the Prometheus client for Node.js that the ecosystem settled on (the text
 * exposition format, histograms with cumulative buckets and the runtime metrics are done right and kept so).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export type MetricsRole = 'api' | 'listener' | 'worker';

export function createMetricsRegistry(role: MetricsRole): Registry {
  const registry = new Registry();
  // `role` tells the processes apart when several are scraped into one job.
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });
  return registry;
}
