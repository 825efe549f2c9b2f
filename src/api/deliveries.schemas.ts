import { z } from 'zod';
import { DeliveryStatus } from '../deliveries/delivery.entity';
import { RECOVER_MAX_AGE_DAYS } from '../deliveries/recover-window';
import { TESTABLE_EVENT_TYPES } from '../events/sample-events';
import { pageQueryFields } from './subscriptions.schemas';

/** GET /subscriptions/:id/deliveries?status=&limit=&cursor= */
export const listDeliveriesQuerySchema = z.strictObject({
  status: z.enum(Object.values(DeliveryStatus), { message: 'must be PENDING, SUCCESS or FAILURE' }).optional(),
  ...pageQueryFields,
});

const testableHint = `one of ${TESTABLE_EVENT_TYPES.join(', ')}`;

/** POST /subscriptions/:id/test {type?}: WEBHOOK_TEST by default, or a sample of a catalog type. */
export const sendTestEventSchema = z.strictObject({
  type: z
    .string()
    .refine((type) => TESTABLE_EVENT_TYPES.includes(type), { message: `unknown event type; expected ${testableHint}` })
    .optional()
    .meta({ description: `WEBHOOK_TEST (the default) or a catalog type, sent with sample data: ${testableHint}.` }),
});

const windowEdge = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (e.g. 2026-01-31T12:00:00Z)' });

/** POST /subscriptions/:id/recover {since, until?}; the window is checked against the clock by checkRecoverWindow. */
export const recoverSchema = z.strictObject({
  since: windowEdge.meta({ description: `Inclusive; in the past, at most ${RECOVER_MAX_AGE_DAYS} days ago.` }),
  until: windowEdge.optional().meta({ description: 'Exclusive; after since; default now.' }),
});
