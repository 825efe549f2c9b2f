/**
 * Temporal server request counters from its Prometheus endpoints (the dev server's --metrics-port, or one endpoint
 * per service process of a cluster): how many frontend RPCs (start, polls, task completions) and persistence
 * operations the engine caused per delivery.
 */

/** Sums a counter's samples by one label, keeping only samples whose labels include every `where` pair. */
export function sumCounterBy(text: string, metric: string, by: string, where: Record<string, string> = {}): Map<string, number> {
  const out = new Map<string, number>();
  const line = new RegExp(`^${metric}\\{([^}]*)\\}\\s+([0-9.eE+-]+)$`);
  for (const raw of text.split('\n')) {
    const match = line.exec(raw.trim());
    if (!match) continue;
    const labels = new Map<string, string>();
    for (const pair of (match[1] as string).matchAll(/(\w+)="([^"]*)"/g)) labels.set(pair[1] as string, pair[2] as string);
    if (Object.entries(where).some(([k, v]) => labels.get(k) !== v)) continue;
    const key = labels.get(by) ?? '';
    out.set(key, (out.get(key) ?? 0) + Number(match[2]));
  }
  return out;
}

export interface TemporalCounters {
  frontend: Map<string, number>;
  persistence: number;
  /** Persistence operations by the endpoint they were scraped from (one per service process of a cluster). */
  persistenceBy?: Record<string, number>;
}

const total = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** Counters of one scrape's text (all services of a dev server, or one service process of a cluster). */
export function countersOf(text: string, namespace = 'default'): TemporalCounters {
  return {
    frontend: sumCounterBy(text, 'service_requests', 'operation', { service_name: 'frontend', namespace }),
    persistence: total(sumCounterBy(text, 'persistence_requests', 'namespace').values()),
  };
}

/** Adds up the counters of several endpoints, keeping each endpoint's persistence operations apart. */
export function mergeCounters(byEndpoint: Record<string, TemporalCounters>): TemporalCounters {
  const frontend = new Map<string, number>();
  const persistenceBy: Record<string, number> = {};
  for (const [name, counters] of Object.entries(byEndpoint)) {
    for (const [operation, n] of counters.frontend) frontend.set(operation, (frontend.get(operation) ?? 0) + n);
    persistenceBy[name] = counters.persistence;
  }
  return { frontend, persistence: total(Object.values(persistenceBy)), persistenceBy };
}

/** Scrapes every endpoint (name -> http://host:port/metrics). */
export async function scrapeTemporalCounters(metricsUrls: Readonly<Record<string, string>>): Promise<TemporalCounters> {
  const byEndpoint: Record<string, TemporalCounters> = {};
  for (const [name, url] of Object.entries(metricsUrls)) byEndpoint[name] = countersOf(await (await fetch(url)).text());
  return mergeCounters(byEndpoint);
}

export interface TemporalRequests {
  rpcs: Array<[string, number]>;
  rpcTotal: number;
  persistence: number;
  /** Per endpoint (cluster: per service), when the counters came from several. */
  persistenceBy?: Array<[string, number]>;
}

/** Per-delivery counts between two scrapes: frontend RPCs by operation (largest first) and persistence operations. */
export function perDelivery(before: TemporalCounters, after: TemporalCounters, deliveries: number): TemporalRequests {
  const rpcs: Array<[string, number]> = [];
  for (const [operation, n] of after.frontend) {
    const delta = n - (before.frontend.get(operation) ?? 0);
    if (delta > 0) rpcs.push([operation, delta / deliveries]);
  }
  rpcs.sort((a, b) => b[1] - a[1]);
  const result: TemporalRequests = {
    rpcs,
    rpcTotal: rpcs.reduce((sum, [, n]) => sum + n, 0),
    persistence: (after.persistence - before.persistence) / deliveries,
  };
  if (after.persistenceBy && Object.keys(after.persistenceBy).length > 1) {
    result.persistenceBy = Object.entries(after.persistenceBy).map(([name, n]) => [
      name,
      (n - (before.persistenceBy?.[name] ?? 0)) / deliveries,
    ]);
  }
  return result;
}
