import { Router } from 'express';
import { EVENT_CATALOG, WILDCARD_EVENT } from '../events/event-catalog';
import './event-types.openapi';

/** GET /webhooks/event-types: the catalog a subscription's `events` may name, plus the wildcard. */
export function createEventTypesRouter(): Router {
  const router = Router();
  router.get('/event-types', (_req, res) => {
    res.json({
      data: EVENT_CATALOG.map(({ type, description }) => ({ type, description })),
      wildcard: { type: WILDCARD_EVENT, description: 'Subscribes to every event type, including ones added later.' },
    });
  });
  return router;
}
