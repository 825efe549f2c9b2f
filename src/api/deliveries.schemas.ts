import { z } from 'zod';
import { DeliveryStatus } from '../deliveries/delivery.entity';
import { STATS_WINDOWS } from '../deliveries/delivery-stats';
import { RECOVER_MAX_AGE_DAYS } from '../deliveries/recover-window';
import { MAX_EVENT_ID_LENGTH } from '../events/envelope';
import { TESTABLE_EVENT_TYPES } from '../events/sample-events';
import { pageQueryFields } from './subscriptions.schemas';
import { textField } from './text-fields';

/** GET /subscriptions/:id/deliveries?status=&eventId=&limit=&cursor= */
export const listDeliveriesQuerySchema = z.strictObject({
  status: z.enum(Object.values(DeliveryStatus), { message: 'must be PENDING, SUCCESS or FAILURE' }).optional(),
  eventId: textField(MAX_EVENT_ID_LENGTH)
    .refine((id) => id.length > 0, { message: 'must not be empty' })
    .optional()
    .meta({ description: "Only the delivery of this event id (exact match): at most one row, the event's delivery to this subscription." }),
  ...pageQueryFields,
});

const windows = Object.keys(STATS_WINDOWS) as [keyof typeof STATS_WINDOWS, ...(keyof typeof STATS_WINDOWS)[]];

/** GET /subscriptions/:id/delivery-stats?window= */
export const deliveryStatsQuerySchema = z.strictObject({
  window: z
    .enum(windows, { message: 'must be 24h or 7d' })
    .optional()
    .meta({ description: '24h (the default): 24 hourly buckets; 7d: 28 buckets of 6 hours.' }),
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
