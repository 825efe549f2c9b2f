/**
 * What deliveries cost the cluster, measured from the outside while they run: CPU of each service process
 * (/proc/<pid>/stat), persistence operations and frontend RPCs from each service's Prometheus counters, and the
 * commits of the cluster's two Postgres databases (pg_stat_database). A service restarted mid-run is counted across
 * both of its processes (`beforeRestart` closes the old process's account).
 */
import { readFileSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import { CLUSTER_SERVICES, type ClusterService, type RunningCluster } from '../../tools/cluster/temporal-cluster';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Reading {
  cpuSeconds: number;
  persistence: number;
  frontendRpcs: number;
}

const ZERO: Reading = { cpuSeconds: 0, persistence: 0, frontendRpcs: 0 };

function emptyCosts(): ClusterCosts {
  const none = Object.fromEntries(CLUSTER_SERVICES.map((s) => [s, 0])) as Record<ClusterService, number>;
  return { cpuMs: { ...none }, persistence: { ...none }, frontendRpcs: 0, postgresCommits: 0, postgresCpuMs: 0 };
}

function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Sum of a counter's samples whose labels include every `where` pair. */
export function sumCounter(text: string, metric: string, where: Record<string, string> = {}): number {
  let sum = 0;
  const line = new RegExp(`^${metric}\\{([^}]*)\\}\\s+([0-9.eE+-]+)$`);
  for (const raw of text.split('\n')) {
    const match = line.exec(raw.trim());
    if (!match) continue;
    const labels = new Map([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(where).every(([key, value]) => labels.get(key) === value)) sum += Number(match[2]);
  }
  return sum;
}

async function read(cluster: RunningCluster, service: ClusterService, namespace: string): Promise<Reading> {
  const text = await (await fetch(cluster.metricsUrls[service])).text();
  return {
    cpuSeconds: cpuSecondsOf(cluster.pid(service)),
    persistence: sumCounter(text, 'persistence_requests'),
    frontendRpcs: service === 'frontend' ? sumCounter(text, 'service_requests', { service_name: 'frontend', namespace }) : 0,
  };
}

export interface ClusterCosts {
  /** Per delivery: CPU ms per service, persistence operations per service, frontend RPCs, Postgres commits. */
  cpuMs: Record<ClusterService, number>;
  persistence: Record<ClusterService, number>;
  frontendRpcs: number;
  postgresCommits: number;
  postgresCpuMs: number;
}

export interface ClusterCostMeter {
  beforeRestart(service: ClusterService): Promise<void>;
  afterRestart(service: ClusterService): Promise<void>;
  /** What was spent since the meter started, per delivery; `idle` also subtracts the idle cost over the same time. */
  finish(deliveries: number): Promise<{ gross: ClusterCosts; idlePerSecond: ClusterCosts; net: ClusterCosts }>;
}

async function postgresReading(databaseUrl: string, databases: string[]): Promise<{ commits: number; cpuSeconds: number }> {
  const admin = new PgClient({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const commits = await admin.query('SELECT coalesce(sum(xact_commit), 0)::bigint AS n FROM pg_stat_database WHERE datname = ANY($1)', [
      databases,
    ]);
    const backends = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [databases]);
    let cpuSeconds = 0;
    for (const { pid } of backends.rows as Array<{ pid: number }>) {
      try {
        cpuSeconds += cpuSecondsOf(pid);
      } catch {
        // The backend ended between the two reads.
      }
    }
    return { commits: Number(commits.rows[0].n), cpuSeconds };
  } finally {
    await admin.end();
  }
}

/**
 * Measures the cluster idle (the engine's processes polling, nothing to deliver) for `idleMs`, then starts counting.
 * The idle rate, per second, is what the cluster spends whatever the load: shard and queue housekeeping, long polls.
 */
export async function startCostMeter(
  cluster: RunningCluster,
  postgres: { url: string; databases: string[] },
  idleMs: number,
): Promise<ClusterCostMeter> {
  const idleMeter = await startCounting(cluster, postgres);
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const idle = (await idleMeter.finish(idleMs / 1000)).gross;
  const meter = await startCounting(cluster, postgres, idle);
  return meter;
}

async function startCounting(
  cluster: RunningCluster,
  postgres: { url: string; databases: string[] },
  idle: ClusterCosts = emptyCosts(),
): Promise<ClusterCostMeter> {
  const startedAt = Date.now();
  const namespace = cluster.namespace;
  const base = new Map<ClusterService, Reading>();
  const spent = new Map<ClusterService, Reading>(CLUSTER_SERVICES.map((s) => [s, { ...ZERO }]));
  for (const service of CLUSTER_SERVICES) base.set(service, await read(cluster, service, namespace));
  const postgresBase = await postgresReading(postgres.url, postgres.databases);

  const close = async (service: ClusterService) => {
    const now = await read(cluster, service, namespace);
    const from = base.get(service) as Reading;
    const total = spent.get(service) as Reading;
    total.cpuSeconds += now.cpuSeconds - from.cpuSeconds;
    total.persistence += now.persistence - from.persistence;
    total.frontendRpcs += now.frontendRpcs - from.frontendRpcs;
  };

  return {
    beforeRestart: close,
    async afterRestart(service) {
      // The new process started from zero; what it spent starting up is part of the fault's cost.
      base.set(service, { ...ZERO });
    },
    async finish(deliveries) {
      for (const service of CLUSTER_SERVICES) await close(service);
      const postgresEnd = await postgresReading(postgres.url, postgres.databases);
      const seconds = (Date.now() - startedAt) / 1000;
      const costs = (divisor: number, minus?: ClusterCosts): ClusterCosts => {
        const pick = (service: ClusterService, field: keyof Reading) => (spent.get(service) as Reading)[field];
        const of = (field: keyof Reading, scale: number, idle?: Record<ClusterService, number>) =>
          Object.fromEntries(
            CLUSTER_SERVICES.map((s) => [s, (pick(s, field) * scale - (idle ? idle[s] * seconds : 0)) / divisor]),
          ) as Record<ClusterService, number>;
        return {
          cpuMs: of('cpuSeconds', 1000, minus?.cpuMs),
          persistence: of('persistence', 1, minus?.persistence),
          frontendRpcs: (pick('frontend', 'frontendRpcs') - (minus ? minus.frontendRpcs * seconds : 0)) / divisor,
          postgresCommits: (postgresEnd.commits - postgresBase.commits - (minus ? minus.postgresCommits * seconds : 0)) / divisor,
          // Backends that lived through the run; one that ended between the reads is missed (an underestimate).
          postgresCpuMs:
            (Math.max(0, postgresEnd.cpuSeconds - postgresBase.cpuSeconds) * 1000 - (minus ? minus.postgresCpuMs * seconds : 0)) / divisor,
        };
      };
      const gross = costs(deliveries);
      return { gross, idlePerSecond: idle, net: costs(deliveries, idle) };
    },
  };
}
