import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import { PUBLIC_KEY_PREFIX } from '../http/signer';
import { liveStoredSecrets } from '../subscriptions/signing-secrets';
import { wakeInBackground, type WakeLanes } from '../lanes/lane-waker';
import type { Logger } from '../logger';
import type { SecretBox } from '../crypto/secret-box';
import { sealHeaders } from '../subscriptions/custom-headers';
import type { SubscriptionRepository } from '../subscriptions/subscription.repository';
import type { WebhookSubscription } from '../subscriptions/subscription.entity';
import { DEFAULT_ROTATION_GRACE_SECONDS, toSubscriptionView, type SubscriptionService } from '../subscriptions/subscription.service';
import { ApiError, notFound } from './api-error';
import { accountIdOf } from './auth.middleware';
import { decodeCursor, encodeCursor } from './cursor';
import {
  createSubscriptionSchema,
  DEFAULT_PAGE_SIZE,
  listSubscriptionsQuerySchema,
  protoKeyPath,
  rotateSecretSchema,
  subscriptionIdSchema,
  updateSubscriptionSchema,
} from './subscriptions.schemas';
import type { UrlGuard } from './url-guard';
import { parseOrThrow } from './validation';
import './subscriptions.openapi';

export interface SubscriptionsRouterDeps {
  repository: SubscriptionRepository;
  service: SubscriptionService;
  urlGuard: UrlGuard;
  /** Opens custom headers for the account's answers, seals them on PATCH. */
  secretBox: SecretBox;
  /** Which keys are live (JWKS, publicKey). Default: the system clock. */
  now?: () => Date;
  /** Wakes the deliveries waiting in a subscription's lanes once they must not wait any more (src/lanes/lane-waker.ts). */
  wakeLanes?: WakeLanes;
  logger: Logger;
}

/** A path id that is not a uuid cannot name a subscription: 404, like any other unknown id. */
function subscriptionId(req: Request): string {
  const parsed = subscriptionIdSchema.safeParse(req.params.id);
  if (!parsed.success) throw notFound('subscription');
  return parsed.data;
}

/** A body with an own `__proto__` key anywhere answers 400 naming it (see protoKeyPath). */
function refuseProtoKeys(body: unknown): void {
  const path = protoKeyPath(body);
  if (path)
    throw new ApiError(400, 'validation_failed', 'request body is invalid', [
      { field: path.join('.'), message: 'the key __proto__ is not accepted' },
    ]);
}

/** The SSRF guard at create and update: a refused target answers 400 target_not_allowed with the reason. */
async function assertTargetAllowed(urlGuard: UrlGuard, url: string): Promise<void> {
  const verdict = await urlGuard(url);
  if (!verdict.allowed) {
    throw new ApiError(400, 'target_not_allowed', `url is not an allowed delivery target: ${verdict.reason}`, [
      { field: 'url', message: verdict.reason },
    ]);
  }
}

/** Routes under /webhooks/subscriptions; every one is scoped by the authenticated account. */
export function createSubscriptionsRouter({
  repository,
  service,
  urlGuard,
  secretBox,
  now = () => new Date(),
  wakeLanes,
  logger,
}: SubscriptionsRouterDeps): Router {
  const router = Router();
  // Every answer below goes to the subscription's own account (the rows are scoped by it): its headers are shown.
  const view = (subscription: WebhookSubscription) => toSubscriptionView(subscription, secretBox, now());

  router.post('/subscriptions', async (req, res) => {
    refuseProtoKeys(req.body);
    const input = parseOrThrow(createSubscriptionSchema, req.body, 'request body');
    await assertTargetAllowed(urlGuard, input.url);
    const { subscription, credential } = await service.create({
      accountId: accountIdOf(res),
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      isActive: input.isActive ?? true,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      ordered: input.ordered ?? false,
      filter: input.filter ?? null,
      headers: input.headers ?? null,
      signatureScheme: input.signatureScheme ?? 'hmac',
    });
    res
      .status(201)
      .location(`/webhooks/subscriptions/${subscription.id}`)
      .json({ ...view(subscription), ...credential });
  });

  router.get('/subscriptions', async (req, res) => {
    const query = parseOrThrow(listSubscriptionsQuerySchema, req.query, 'query');
    const page = await repository.list(accountIdOf(res), {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      isActive: query.isActive,
      event: query.event,
    });
    res.json({ data: page.rows.map(view), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/subscriptions/:id', async (req, res) => {
    const found = await repository.findForAccount(accountIdOf(res), subscriptionId(req));
    if (!found) throw notFound('subscription');
    res.json(view(found));
  });

  router.patch('/subscriptions/:id', async (req, res) => {
    const id = subscriptionId(req);
    refuseProtoKeys(req.body);
    const patch = parseOrThrow(updateSubscriptionSchema, req.body, 'request body');
    const accountId = accountIdOf(res);
    // 404 before the guard, so another account's id never learns anything from a URL verdict.
    if (!(await repository.findForAccount(accountId, id))) throw notFound('subscription');
    if (patch.url !== undefined) await assertTargetAllowed(urlGuard, patch.url);
    const { headers, ...rest } = patch;
    const updated = await repository.update(
      accountId,
      id,
      headers === undefined ? rest : { ...rest, headers: sealHeaders(secretBox, id, headers) },
    );
    if (!updated) throw notFound('subscription');
    if (patch.isActive === false || patch.ordered === false) wakeInBackground(wakeLanes, id, logger);
    res.json(view(updated));
  });

  router.delete('/subscriptions/:id', async (req, res) => {
    const id = subscriptionId(req);
    if (!(await repository.remove(accountIdOf(res), id))) throw notFound('subscription');
    wakeInBackground(wakeLanes, id, logger);
    res.status(204).end();
  });

  router.post('/subscriptions/:id/secret/rotate', async (req, res) => {
    const id = subscriptionId(req);
    const body = parseOrThrow(rotateSecretSchema, req.body ?? {}, 'request body');
    const credential = await service.rotateSecret(accountIdOf(res), id, body.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS);
    if (credential === null) throw notFound('subscription');
    res.json(credential);
  });

  router.get('/jwks.json', async (_req, res) => {
    const at = now();
    const rows = await repository.listSigningKeys(accountIdOf(res));
    res.json({
      keys: rows.flatMap((row) =>
        liveStoredSecrets(row.secrets, at).flatMap((s) => (s.publicKey ? [jwkOf(row.id, s.publicKey, s.expiresAt)] : [])),
      ),
    });
  });

  return router;
}

/** One ed25519 public key as a JWK (RFC 8037), its kid the RFC 7638 thumbprint. */
function jwkOf(subscriptionId: string, publicKey: string, expiresAt: string | null) {
  const x = Buffer.from(publicKey.slice(PUBLIC_KEY_PREFIX.length), 'base64').toString('base64url');
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
  return { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA', subscriptionId, expiresAt };
}
