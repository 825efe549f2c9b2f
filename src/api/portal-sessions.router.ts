import express, { type Router } from 'express';
import { z } from 'zod';
import type { PortalSessionRepository } from '../portal/portal-session.repository';
import { notFound } from './api-error';
import { EXAMPLE_TIME } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import { accountIdOf } from './auth.middleware';
import { parseOrThrow } from './validation';

export const PORTAL_SESSION_DEFAULT_SECONDS = 60 * 60;
export const PORTAL_SESSION_MAX_SECONDS = 24 * 60 * 60;

const createSchema = z.object({ expiresInSeconds: z.number().int().min(60).max(PORTAL_SESSION_MAX_SECONDS).optional() }).strict();

/**
 * POST /portal-sessions {expiresInSeconds?} -> 201 {id, url, expiresAt}: a portal link for the caller's account.
 * The token travels in the URL fragment (`/portal#token=...`), which browsers never send to a server or in Referer.
 * DELETE /portal-sessions/:id revokes one of the account's sessions (404 for unknown or another account's).
 */
export function createPortalSessionsRouter(deps: { sessions: PortalSessionRepository; portalBaseUrl: string }): Router {
  const router = express.Router();
  router.post('/portal-sessions', async (req, res) => {
    const body = parseOrThrow(createSchema, req.body ?? {}, 'body');
    const ttl = body.expiresInSeconds ?? PORTAL_SESSION_DEFAULT_SECONDS;
    const session = await deps.sessions.create(accountIdOf(res), ttl);
    res.status(201).json({
      id: session.id,
      url: `${deps.portalBaseUrl}/portal#token=${encodeURIComponent(session.token)}`,
      expiresAt: session.expiresAt.toISOString(),
    });
  });
  router.delete('/portal-sessions/:id', async (req, res) => {
    const revoked = await deps.sessions.revoke(accountIdOf(res), String(req.params.id));
    if (!revoked) throw notFound('portal session');
    res.status(204).end();
  });
  return router;
}

const portalSessionSchema = z.strictObject({
  id: z.string(),
  url: z.string().meta({ description: 'The portal page with the token in its fragment (never sent to a server or in Referer).' }),
  expiresAt: z.iso.datetime({ offset: true }),
});

documentRoutes([
  {
    method: 'post',
    path: '/webhooks/portal-sessions',
    operationId: 'createPortalSession',
    summary: "A short-lived link to the account's portal page (default 1 h, at most 24 h)",
    description:
      "Counts against the API key's rate limit. All portal sessions of an account share one rate-limit bucket. At most WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT (default 100) live sessions per account: past it, 409 limit_reached (revoke one or wait until one expires).",
    tag: 'Portal',
    auth: 'apiKey',
    body: { schema: createSchema, required: false, example: { expiresInSeconds: 3600 } },
    responses: {
      201: {
        description: 'Created',
        schema: portalSessionSchema,
        example: { id: 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d', url: 'http://127.0.0.1:3000/portal#token=whp_...', expiresAt: EXAMPLE_TIME },
      },
    },
    errors: [400, 409],
  },
  {
    method: 'delete',
    path: '/webhooks/portal-sessions/:id',
    operationId: 'revokePortalSession',
    summary: "Revoke one of the account's portal sessions",
    tag: 'Portal',
    auth: 'apiKey',
    params: { id: 'The portal session id' },
    responses: { 204: { description: 'Revoked' } },
    errors: [404],
  },
]);
