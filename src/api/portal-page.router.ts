import { join } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

/** The portal's static files (plain HTML, CSS and an ES module; nothing loaded from elsewhere). */
export const PORTAL_STATIC_DIR = join(__dirname, '..', 'portal', 'static');

/** Strict headers on every portal response: own origin only, no inline script, never framed, no Referer. */
export const portalSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  });
  next();
};

/** GET /portal (the page) and /portal/assets/* (its files). The token is in the fragment, never in the request. */
export function createPortalPageRouter(): Router {
  const router = express.Router();
  router.get('/', (_req, res) => res.sendFile(join(PORTAL_STATIC_DIR, 'index.html')));
  // A missing file falls through to the API's 404 (not serve-static's error, which the error middleware would make a 500).
  router.use('/assets', express.static(PORTAL_STATIC_DIR, { index: false, redirect: false }));
  return router;
}
