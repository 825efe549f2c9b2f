import packageJson from '../../package.json';
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import type { ReadinessReport } from '../health/readiness';
import { createApiKeyRepository } from '../keys/api-key.repository';
import type { Logger } from '../logger';
import { createSubscriptionRepository } from '../subscriptions/subscription.repository';
import { createSubscriptionService } from '../subscriptions/subscription.service';
import { createAuthMiddleware } from './auth.middleware';
import { createErrorMiddleware, rejectMalformedPath, routeNotFound } from './error.middleware';
import { createEventTypesRouter } from './event-types.router';
import { createHealthRouter } from './health.router';
import { createFixedWindowLimiter, createRateLimitMiddleware } from './rate-limit.middleware';
import { createSubscriptionsRouter } from './subscriptions.router';
import type { WakeLanes } from '../lanes/lane-waker';
import { createPortalSessionRepository } from '../portal/portal-session.repository';
import { createPortalPageRouter, portalSecurityHeaders } from './portal-page.router';
import { createPortalSessionsRouter } from './portal-sessions.router';
import type { UrlGuard } from './url-guard';
import type { Registry } from 'prom-client';
import { defineApiMetrics } from '../metrics/metric-definitions';
import { createMetricsRegistry } from '../metrics/registry';
import './app.openapi';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { createRequestIdMiddleware } from './request-id.middleware';
import { createMetricsHandler, createRequestMetricsMiddleware, rememberMountPath } from './metrics.middleware';

const OPENAPI_INFO = {
  title: 'webhooks-engine',
  version: packageJson.version,
  description: 'Outbound webhooks: subscriptions, signing secrets, event types and deliveries, per account behind API keys.',
};

/** Largest JSON body accepted on any route; a larger one answers 413. */
export const BODY_LIMIT = '64kb';

export interface AppDeps {
  dataSource: DataSource;
  config: Config;
  logger: Logger;
  secretBox: SecretBox;
  /** The SSRF guard applied to subscription URLs at create and update. */
  urlGuard: UrlGuard;
  /** GET /readyz: Postgres, Redis and Temporal reported separately. */
  readiness: () => Promise<ReadinessReport>;
  /**
   * The delivery routes (GET /subscriptions/:id/deliveries, GET /deliveries/:id, POST /deliveries/:id/retry,
   * POST /subscriptions/:id/test, POST /subscriptions/:id/recover), built with createDeliveriesRouter(...) from
   * ./deliveries.router. Mounted under /webhooks behind the same
   * auth, rate limit and JSON parsing as the subscription routes: handlers read `res.locals.accountId`.
   */
  deliveries?: Router;
  /** Wakes the deliveries waiting in a subscription's lanes when it is switched off, deleted or made unordered. */
  wakeLanes?: WakeLanes;
  /** The process's metrics registry served at GET /metrics (a fresh one when absent). */
  metrics?: Registry;
  /** The clock (rate-limit windows, lastUsedAt, secret rotation). Defaults to the system clock. */
  now?: () => Date;
}

/**
 * `Cache-Control: no-store` on every answer of the account's API (/webhooks, /portal/api), errors included: some
 * carry a signing secret or a portal token (subscription create, secret rotation, portal-session create), and the
 * rest is one account's private data, which no shared or browser cache should keep either.
 */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

/** The rate-limit bucket shared by every portal session of an account (API keys have one bucket each, by key id). */
export const portalRateLimitKey = (accountId: string): string => `portal-account:${accountId}`;

/** The API as an express app (no listen): health at the root, everything else under /webhooks with a Bearer key. */
export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => new Date());
  const subscriptions = createSubscriptionRepository(deps.dataSource);
  const apiKeys = createApiKeyRepository(deps.dataSource, now);

  const registry = deps.metrics ?? createMetricsRegistry('api');
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(createRequestIdMiddleware(deps.logger));
  app.use(createRequestMetricsMiddleware(defineApiMetrics(registry)));
  // A path that is not valid percent-encoded UTF-8 answers 400 before any route tries to decode its parameters.
  app.use(rejectMalformedPath);
  app.use(createHealthRouter(deps.readiness));
  // Prometheus text format, no key (like /healthz): counts and latencies only, no ids, URLs or account names.
  app.get('/metrics', createMetricsHandler(registry));
  // Built on first request, once every router module has registered its routes.
  let openApi: Record<string, unknown> | undefined;
  app.get('/openapi.json', (_req, res) => {
    openApi ??= buildOpenApiDocument(OPENAPI_INFO);
    res.json(openApi);
  });

  const limits = deps.config.limits;
  const portalSessions = createPortalSessionRepository(deps.dataSource, now, { maxLivePerAccount: limits.portalSessionsPerAccount });
  const service = createSubscriptionService(subscriptions, deps.secretBox, now, {
    subscriptionsPerAccount: limits.subscriptionsPerAccount,
    liveSecretsPerSubscription: limits.liveSecretsPerSubscription,
  });
  const limiter = createFixedWindowLimiter(deps.config.apiRateLimitPerMinute, () => now().getTime());
  const rateLimit = createRateLimitMiddleware(limiter);

  // The account's routes, shared by /webhooks (API key) and /portal/api (portal token): same handlers, same scoping.
  // Each mount authenticates and rate-limits before them.
  const accountRoutes = (): Router => {
    const router = express.Router();
    router.use(express.json({ limit: BODY_LIMIT, strict: true }));
    router.use(createEventTypesRouter());
    router.use(
      createSubscriptionsRouter({
        repository: subscriptions,
        service,
        urlGuard: deps.urlGuard,
        secretBox: deps.secretBox,
        now,
        wakeLanes: deps.wakeLanes,
        logger: deps.logger,
      }),
    );
    if (deps.deliveries) router.use(deps.deliveries);
    return router;
  };

  const webhooks = express.Router();
  webhooks.use(rememberMountPath);
  webhooks.use(noStore);
  webhooks.use(createAuthMiddleware((key) => apiKeys.authenticate(key)));
  // Per API key, before anything else runs: minting and revoking portal sessions count like every other request.
  webhooks.use(rateLimit);
  webhooks.use(express.json({ limit: BODY_LIMIT, strict: true }));
  webhooks.use(createPortalSessionsRouter({ sessions: portalSessions, portalBaseUrl: deps.config.portalBaseUrl }));
  webhooks.use(accountRoutes());
  app.use('/webhooks', webhooks);

  // Portal tokens open /portal/api only; API keys are refused there (and portal tokens under /webhooks).
  const portalApi = express.Router();
  portalApi.use(rememberMountPath);
  portalApi.use(portalSecurityHeaders);
  portalApi.use(noStore);
  portalApi.use(
    createAuthMiddleware(async (token) => {
      const session = await portalSessions.authenticate(token);
      // One rate-limit bucket per account for all of its portal sessions: minting more sessions buys no more requests.
      return session ? { keyId: portalRateLimitKey(session.accountId), accountId: session.accountId } : null;
    }),
  );
  portalApi.use(rateLimit);
  portalApi.use(accountRoutes());
  app.use('/portal/api', portalApi);
  app.use('/portal', portalSecurityHeaders, createPortalPageRouter());

  app.use(routeNotFound);
  app.use(createErrorMiddleware(deps.logger));
  return app;
}
