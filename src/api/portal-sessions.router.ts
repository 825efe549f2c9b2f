import express, { type Router } from 'express';
import { z } from 'zod';
import type { PortalSessionRepository } from '../portal/portal-session.repository';
import { notFound } from './api-error';
import { accountIdOf } from './auth.middleware';
import { parseOrThrow } from './validation';

export const PORTAL_SESSION_DEFAULT_SECONDS = 60 * 60;
export const PORTAL_SESSION_MAX_SECONDS = 24 * 60 * 60;

const createSchema = z
  .object({ expiresInSeconds: z.number().int().min(60).max(PORTAL_SESSION_MAX_SECONDS).optional() })
  .strict();

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
