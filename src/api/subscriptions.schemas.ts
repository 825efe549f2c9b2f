import { z } from 'zod';
import { EVENT_CATALOG, isSubscribableEvent, WILDCARD_EVENT } from '../events/event-catalog';
import { MAX_ROTATION_GRACE_SECONDS } from '../subscriptions/subscription.service';
import { checkFilter, FILTER_LIMITS } from '../subscriptions/event-filter';
import { checkHeaders, HEADER_LIMITS } from '../subscriptions/custom-headers';
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

/**
 * The path of the first own `__proto__` key in a parsed JSON body, or null. Such a key is refused rather than parsed:
 * the schemas' records would drop it silently (a filter condition or a header that vanishes), and it names nothing
 * a filter or a header needs.
 */
export function protoKeyPath(value: unknown, at: string[] = [], depth = 0): string[] | null {
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return [...at, key];
    const found = protoKeyPath((value as Record<string, unknown>)[key], [...at, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Invalid: 400 validation_failed whose detail names the bad part (`filter.$or.1.amount.$gt`). */
const filter = z
  .record(z.string(), z.unknown(), { error: 'must be an object (or null for no filter)' })
  .superRefine((value, ctx) => {
    const problem = checkFilter(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.path] });
  })
  .nullable()
  .meta({
    description: `Conditions on the event's data, MongoDB-style: dotted paths inside data, a bare value for equality, operators $eq $ne $gt $gte $lt $lte $in $nin $exists, $and/$or arrays of filters; an array in the data matches when any element does. Null: every event of the subscription's types. At most ${FILTER_LIMITS.maxBytes} bytes as JSON, ${FILTER_LIMITS.maxDepth} levels deep, ${FILTER_LIMITS.maxConditions} conditions (docs/limits.md).`,
    examples: [{ 'message.attachments': { $exists: true }, 'visitor.country': { $in: ['FR', 'DE'] } }],
  });

/** Values are secrets to the receiver: stored encrypted, answered to the account only. */
const headers = z
  .record(z.string(), z.string({ error: 'header values must be strings' }), {
    error: 'must be an object of header names to values (or null)',
  })
  .superRefine((value, ctx) => {
    const problem = checkHeaders(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.name === undefined ? [] : [problem.name] });
  })
  .nullable()
  .meta({
    description: `Sent on every attempt. At most ${HEADER_LIMITS.maxCount}; names are tokens of at most ${HEADER_LIMITS.maxNameLength} characters, values visible ASCII of at most ${HEADER_LIMITS.maxValueLength}. Refused: Content-Type, Content-Length, User-Agent, Host, X-Hub-Signature-256, X-Webhook-*, webhook-*, hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding, TE, Upgrade, Trailer, Proxy-*). Stored encrypted.`,
    examples: [{ Authorization: 'Bearer receiver-token' }],
  });

const signatureScheme = z.enum(['hmac', 'ed25519'], { error: 'must be hmac or ed25519' }).meta({
  description:
    'hmac (default): X-Hub-Signature-256 and v1, signatures with the secret; ed25519: v1a, signatures only, verified with publicKey. Fixed at creation.',
});

export const createSubscriptionSchema = z.strictObject({
  url,
  events,
  description: description.optional(),
  isActive: z.boolean().optional(),
  rateLimitPerSecond: rateLimitPerSecond.optional(),
  ordered: z.boolean().optional(),
  filter: filter.optional(),
  headers: headers.optional(),
  signatureScheme: signatureScheme.optional(),
});

export const updateSubscriptionSchema = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.optional(),
    isActive: z.boolean().optional(),
    rateLimitPerSecond: rateLimitPerSecond.optional(),
    ordered: z.boolean().optional(),
    filter: filter.optional(),
    headers: headers.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of url, events, description, isActive, rateLimitPerSecond, ordered, filter, headers',
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
