import type { PidSource } from './proc-monitor';

/** Where the benchmark's Temporal runs, and how its processes and counters are watched. */
export interface TemporalTarget {
  kind: 'dev' | 'cluster';
  temporal: { address: string; namespace: string };
  /** The dev server's exact command line, or the cluster's service command (its binary first). */
  command: string;
  /** Lines for the results section describing it (the cluster); the dev server's is its command line. */
  details?: string[];
  /** CPU groups of Temporal's own processes (and of its Postgres backends, for a cluster). */
  groups: Array<[string, PidSource]>;
  /** Prometheus endpoints: the dev server's, or one per service of a cluster. */
  metricsUrls: Record<string, string>;
  /** Commits of Temporal's own Postgres databases (cluster only). */
  databaseCommits?: () => Promise<number>;
  stop(): Promise<void>;
}
