import { z } from 'zod';
import { EVENT_CATALOG, isSubscribableEvent, WILDCARD_EVENT } from '../events/event-catalog';
import { MAX_ROTATION_GRACE_SECONDS } from '../subscriptions/subscription.service';
import { textField, urlField } from './text-fields';

export const MAX_URL_LENGTH = 2048;
export const MAX_EVENTS = 50;
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
/** Upper bound of rateLimitPerSecond; null (or absent) means no limit. */
export const MAX_RATE_LIMIT_PER_SECOND = 10_000;

const catalogHint = `one of ${[...EVENT_CATALOG.map((e) => e.type), WILDCARD_EVENT].join(', ')} (see GET /webhooks/event-types)`;

const eventName = z
  .string()
  .max(100, 'must be at most 100 characters')
  .refine(isSubscribableEvent, { message: `unknown event type; expected ${catalogHint}` });

const url = urlField(MAX_URL_LENGTH);

/** Duplicates are dropped, the first occurrence keeps its place. */
const events = z
  .array(eventName)
  .min(1, 'must list at least one event type (or "*")')
  .max(MAX_EVENTS, `must list at most ${MAX_EVENTS} event types`)
  .transform((list) => [...new Set(list)]);

const rateLimitPerSecond = z
  .number()
  .int('must be a whole number of deliveries per second')
  .min(1, 'must be at least 1 (or null for no limit)')
  .max(MAX_RATE_LIMIT_PER_SECOND, `must be at most ${MAX_RATE_LIMIT_PER_SECOND}`)
  .nullable();

const description = textField(MAX_DESCRIPTION_LENGTH).nullable();

export const createSubscriptionSchema = z.strictObject({
  url,
  events,
  description: description.optional(),
  isActive: z.boolean().optional(),
  rateLimitPerSecond: rateLimitPerSecond.optional(),
  ordered: z.boolean().optional(),
});

export const updateSubscriptionSchema = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.optional(),
    isActive: z.boolean().optional(),
    rateLimitPerSecond: rateLimitPerSecond.optional(),
    ordered: z.boolean().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of url, events, description, isActive, rateLimitPerSecond, ordered',
  });

export const rotateSecretSchema = z.strictObject({
  graceSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must be at least 0')
    .max(MAX_ROTATION_GRACE_SECONDS, `must be at most ${MAX_ROTATION_GRACE_SECONDS} (7 days)`)
    .optional(),
});

/** `limit` and `cursor` of every paginated list (query strings). */
export const pageQueryFields = {
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`))
    .optional(),
  cursor: z.string().min(1).max(1000).optional(),
};

export const listSubscriptionsQuerySchema = z.strictObject({
  ...pageQueryFields,
  isActive: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  event: eventName.optional(),
});

export const subscriptionIdSchema = z.uuid();
