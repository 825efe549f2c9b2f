import express, { type Express, type Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import type { ReadinessReport } from '../health/readiness';
import { createApiKeyRepository } from '../keys/api-key.repository';
import type { Logger } from '../logger';
import { createSubscriptionRepository } from '../subscriptions/subscription.repository';
import { createSubscriptionService } from '../subscriptions/subscription.service';
import { createAuthMiddleware } from './auth.middleware';
import { createErrorMiddleware, routeNotFound } from './error.middleware';
import { createEventTypesRouter } from './event-types.router';
import { createHealthRouter } from './health.router';
import { createFixedWindowLimiter, createRateLimitMiddleware } from './rate-limit.middleware';
import { createSubscriptionsRouter } from './subscriptions.router';
import type { UrlGuard } from './url-guard';

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
   * The delivery routes (GET /subscriptions/:id/deliveries, GET /deliveries/:id, POST /deliveries/:id/retry),
   * built with createDeliveriesRouter(...) from ./deliveries.router. Mounted under /webhooks behind the same
   * auth, rate limit and JSON parsing as the subscription routes: handlers read `res.locals.accountId`.
   */
  deliveries?: Router;
  /** The clock (rate-limit windows, lastUsedAt, secret rotation). Defaults to the system clock. */
  now?: () => Date;
}

/** The API as an express app (no listen): health at the root, everything else under /webhooks with a Bearer key. */
export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => new Date());
  const subscriptions = createSubscriptionRepository(deps.dataSource);
  const apiKeys = createApiKeyRepository(deps.dataSource, now);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(createHealthRouter(deps.readiness));

  const webhooks = express.Router();
  webhooks.use(createAuthMiddleware((key) => apiKeys.authenticate(key)));
  webhooks.use(createRateLimitMiddleware(createFixedWindowLimiter(deps.config.apiRateLimitPerMinute, () => now().getTime())));
  webhooks.use(express.json({ limit: BODY_LIMIT, strict: true }));
  webhooks.use(createEventTypesRouter());
  webhooks.use(
    createSubscriptionsRouter({
      repository: subscriptions,
      service: createSubscriptionService(subscriptions, deps.secretBox, now),
      urlGuard: deps.urlGuard,
    }),
  );
  if (deps.deliveries) webhooks.use(deps.deliveries);
  app.use('/webhooks', webhooks);

  app.use(routeNotFound);
  app.use(createErrorMiddleware(deps.logger));
  return app;
}
