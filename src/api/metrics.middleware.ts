import type { Request, RequestHandler, Response } from 'express';
import type { Registry } from 'prom-client';
import type { ApiMetrics } from '../metrics/metric-definitions';
import { statusClassLabel } from '../metrics/labels';

/** Unmatched paths share one label value, so a scan of random URLs cannot grow the series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Remembers where a router is mounted (`/webhooks`, `/portal/api`): express restores `req.baseUrl` once a
 * route's error has left its router, so the route label is built from this instead.
 */
export const rememberMountPath: RequestHandler = (req, res, next) => {
  res.locals.mountPath = req.baseUrl;
  next();
};

/** The route template that answered (`/webhooks/subscriptions/:id`), never the concrete path with its ids. */
function routeLabel(req: Request, res: Response): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof template !== 'string') return UNMATCHED_ROUTE;
  const mount = typeof res.locals.mountPath === 'string' ? res.locals.mountPath : '';
  return `${mount}${template}`;
}

/** Counts and times every answer by method, route template and status class. */
export function createRequestMetricsMiddleware(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeLabel(req, res);
      const method = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'].includes(req.method) ? req.method : 'OTHER';
      metrics.requests.inc({ method, route, status_class: statusClassLabel(res.statusCode) });
      metrics.requestDuration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** GET /metrics: the API process's registry in the Prometheus text format. */
export function createMetricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const text = await registry.metrics();
    res.status(200).set('content-type', registry.contentType).set('cache-control', 'no-store').send(text);
  };
}
