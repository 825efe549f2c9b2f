import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { errorSummary } from '../shared/error-summary';

export interface DependencyStatus {
  ok: boolean;
  error?: string;
}

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, DependencyStatus>;
}

/** The subset of an ioredis client that readiness needs. */
export interface PingableRedis {
  ping(): Promise<string>;
}

export interface ReadinessDeps {
  dataSource: Pick<DataSource, 'query'>;
  redis: PingableRedis;
  temporal: Pick<Connection, 'workflowService'>;
  /** Each dependency must answer within this time (default 2 s). */
  timeoutMs?: number;
}

/** Checks Postgres, Redis and Temporal separately and in parallel; one down never hides another. */
export function createReadinessCheck(deps: ReadinessDeps): () => Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const probes: Record<string, () => Promise<unknown>> = {
    postgres: () => deps.dataSource.query('SELECT 1'),
    redis: () => deps.redis.ping(),
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
  };
  return async () => {
    const entries = await Promise.all(Object.entries(probes).map(async ([name, probe]) => [name, await settle(probe, timeoutMs)] as const));
    const checks = Object.fromEntries(entries);
    return { ok: entries.every(([, status]) => status.ok), checks };
  };
}

async function settle(probe: () => Promise<unknown>, timeoutMs: number): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    // Only the error's message: connection strings and credentials are not part of it.
    return { ok: false, error: errorSummary(error, 200) };
  } finally {
    clearTimeout(timer);
  }
}
