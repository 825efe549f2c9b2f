/**
 * Temporal server request counters from its Prometheus endpoint (the dev server's --metrics-port): how many
 * frontend RPCs (start, polls, task completions) and persistence operations the engine caused per delivery.
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
}

export async function scrapeTemporalCounters(metricsPort: number): Promise<TemporalCounters> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const persistence = sumCounterBy(text, 'persistence_requests', 'namespace');
  return {
    frontend: sumCounterBy(text, 'service_requests', 'operation', { service_name: 'frontend', namespace: 'default' }),
    persistence: [...persistence.values()].reduce((a, b) => a + b, 0),
  };
}

/** Per-delivery counts between two scrapes: frontend RPCs by operation (largest first) and persistence operations. */
export function perDelivery(before: TemporalCounters, after: TemporalCounters, deliveries: number): { rpcs: Array<[string, number]>; rpcTotal: number; persistence: number } {
  const rpcs: Array<[string, number]> = [];
  for (const [operation, n] of after.frontend) {
    const delta = n - (before.frontend.get(operation) ?? 0);
    if (delta > 0) rpcs.push([operation, delta / deliveries]);
  }
  rpcs.sort((a, b) => b[1] - a[1]);
  return { rpcs, rpcTotal: rpcs.reduce((sum, [, n]) => sum + n, 0), persistence: (after.persistence - before.persistence) / deliveries };
}
