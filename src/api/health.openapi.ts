/** OpenAPI description of health and readiness (src/api/health.router.ts). */
import { documentRoutes } from './openapi/route-docs';
import { healthSchema, readinessSchema } from './responses.schemas';

documentRoutes([
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness: the process answers (no dependency checked)',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'Alive', schema: healthSchema, example: { ok: true } } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness: Postgres, Redis and Temporal, each reported separately (503 when one is down)',
    tag: 'Operations',
    auth: 'none',
    responses: {
      200: {
        description: 'Ready',
        schema: readinessSchema,
        example: { ok: true, checks: { postgres: { ok: true }, redis: { ok: true }, temporal: { ok: true } } },
      },
      503: {
        description: 'Not ready',
        schema: readinessSchema,
        example: { ok: false, checks: { postgres: { ok: true }, redis: { ok: false, error: 'timed out' }, temporal: { ok: true } } },
      },
    },
  },
]);
