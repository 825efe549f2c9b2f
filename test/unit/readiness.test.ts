import { createReadinessCheck } from '../../src/health/readiness';

const up = {
  dataSource: { query: async () => [{ '?column?': 1 }] },
  redis: { ping: async () => 'PONG' },
  temporal: { workflowService: { getSystemInfo: async () => ({}) } },
};

describe('readiness check', () => {
  it('is ready when Postgres, Redis and Temporal all answer', async () => {
    const report = await createReadinessCheck(up as never)();
    expect(report).toEqual({ ok: true, checks: { postgres: { ok: true }, redis: { ok: true }, temporal: { ok: true } } });
  });

  it('names the one dependency that fails and still reports the others', async () => {
    const check = createReadinessCheck({
      ...up,
      redis: { ping: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390')) },
    } as never);
    const report = await check();
    expect(report.ok).toBe(false);
    expect(report.checks.redis).toEqual({ ok: false, error: 'connect ECONNREFUSED 127.0.0.1:6390' });
    expect(report.checks.postgres.ok).toBe(true);
    expect(report.checks.temporal.ok).toBe(true);
  });

  it('treats a dependency that hangs as not ready after the timeout', async () => {
    const check = createReadinessCheck({
      ...up,
      temporal: { workflowService: { getSystemInfo: () => new Promise(() => undefined) } },
      timeoutMs: 50,
    } as never);
    const report = await check();
    expect(report.checks.temporal).toEqual({ ok: false, error: 'no answer within 50 ms' });
    expect(report.ok).toBe(false);
  });
});
