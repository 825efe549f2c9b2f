import { Router } from 'express';
import type { ReadinessReport } from '../health/readiness';
import './health.openapi';

/**
 * GET /healthz: the process is alive (no dependency checked).
 * GET /readyz: 200 when Postgres, Redis and Temporal all answer, else 503; each is reported separately.
 */
export function createHealthRouter(check: () => Promise<ReadinessReport>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await check();
    res.status(report.ok ? 200 : 503).json(report);
  });
  return router;
}
