/**
 * The event envelope published on Redis, validated once and serialised once. The serialised string is stored
 * as `webhook_events.body`: those exact bytes are what every delivery of the event signs and sends.
 * Pure: no I/O, no config. The listener passes the catalog check and the size cap in.
 */
import { z } from 'zod';
import { errorSummary } from '../shared/error-summary';
import { validTraceparent } from '../tracing/traceparent';

export const MAX_ENVELOPE_BYTES = 256 * 1024;
export const MAX_EVENT_ID_LENGTH = 200;
export const MAX_ACCOUNT_ID_LENGTH = 128;
/** In code points, like the API's text fields. */
export const MAX_ORDERING_KEY_LENGTH = 200;
/** Deepest nesting of objects and arrays accepted in a message: far above any real event, far below the stack. */
export const MAX_ENVELOPE_DEPTH = 64;

export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly accountId: string;
  readonly occurredAt: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The lane the event belongs to on ordered subscriptions (the conversation id, for a chat product). */
  readonly orderingKey?: string;
}

/**
 * `traceparent`: the publisher's W3C trace context when the message carries a valid one (a malformed one is ignored);
 * never part of the envelope or the body.
 */
export type EnvelopeParseResult =
  | { readonly ok: true; readonly envelope: EventEnvelope; readonly body: string; readonly traceparent?: string }
  | { readonly ok: false; readonly reason: string };

export interface EnvelopeRules {
  /** True for an event type listed in the catalog. */
  readonly isKnownType: (type: string) => boolean;
  /** Largest accepted message in bytes (UTF-8); default MAX_ENVELOPE_BYTES. */
  readonly maxBytes?: number;
}

/** Visible ASCII only: the id travels in headers (`webhook-id` source, workflow ids) and must not smuggle spaces or CR/LF. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
/** Unicode category Cc, as the API's text fields count them. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const envelopeSchema = z.object({
  id: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(MAX_EVENT_ID_LENGTH, `must be at most ${MAX_EVENT_ID_LENGTH} characters`)
    .regex(VISIBLE_ASCII, 'must contain only visible ASCII characters (no spaces)'),
  type: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  accountId: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(MAX_ACCOUNT_ID_LENGTH, `must be at most ${MAX_ACCOUNT_ID_LENGTH} characters`)
    .regex(VISIBLE_ASCII, 'must contain only visible ASCII characters (no spaces)'),
  occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (e.g. 2026-01-31T12:00:00Z)' }),
  data: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
  // Optional; a malformed one makes the message malformed (it names a lane: it must be exactly what was meant).
  orderingKey: z
    .string({ error: 'must be a string' })
    .refine((key) => [...key].length >= 1 && [...key].length <= MAX_ORDERING_KEY_LENGTH, {
      error: `must be 1-${MAX_ORDERING_KEY_LENGTH} characters`,
    })
    .refine((key) => !CONTROL_CHARACTERS.test(key), { error: 'must not contain control characters' })
    .optional(),
});

/**
 * Parses one raw message. Never throws, whatever the input: a bad message yields `{ ok: false, reason }` with a reason
 * short enough to log. Size and nesting depth are checked on the raw text before any recursive work (JSON.parse,
 * validation, serialisation), so no message can exhaust the stack.
 */
export function parseEnvelope(raw: string, rules: EnvelopeRules): EnvelopeParseResult {
  try {
    return parseChecked(raw, rules);
  } catch (error) {
    // Not expected once the bounds hold; a message must still end as a rejection, never as a crash.
    return reject(`could not be parsed: ${errorSummary(error, 200)}`);
  }
}

function parseChecked(raw: string, rules: EnvelopeRules): EnvelopeParseResult {
  const maxBytes = rules.maxBytes ?? MAX_ENVELOPE_BYTES;
  const size = Buffer.byteLength(raw, 'utf8');
  if (size > maxBytes) return reject(oversizedReason(size, maxBytes));
  const depth = nestingDepth(raw, MAX_ENVELOPE_DEPTH);
  if (depth > MAX_ENVELOPE_DEPTH) return reject(`message nests objects and arrays more than ${MAX_ENVELOPE_DEPTH} levels deep`);

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return reject(`not valid JSON: ${errorSummary(error, 200)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return reject('not a JSON object');

  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(envelope)'}: ${issue.message}`);
    return reject(`invalid envelope: ${problems.join('; ')}`);
  }
  if (!rules.isKnownType(parsed.data.type)) {
    return reject(`unknown event type ${JSON.stringify(parsed.data.type.slice(0, 100))} (not in the event catalog)`);
  }
  const envelope: EventEnvelope = {
    id: parsed.data.id,
    type: parsed.data.type,
    accountId: parsed.data.accountId,
    occurredAt: parsed.data.occurredAt,
    data: parsed.data.data,
    ...(parsed.data.orderingKey === undefined ? {} : { orderingKey: parsed.data.orderingKey }),
  };
  const traceparent = validTraceparent((json as { traceparent?: unknown }).traceparent);
  return { ok: true, envelope, body: serialiseEnvelope(envelope), ...(traceparent ? { traceparent } : {}) };
}

/**
 * The one serialisation of an envelope: fixed key order (id, type, accountId, occurredAt, data, then orderingKey when
 * the event has one: the receiver sees the lane), no whitespace. Unknown top-level fields of the published message
 * are not part of it.
 */
export function serialiseEnvelope(envelope: EventEnvelope): string {
  return JSON.stringify({
    id: envelope.id,
    type: envelope.type,
    accountId: envelope.accountId,
    occurredAt: envelope.occurredAt,
    data: envelope.data,
    orderingKey: envelope.orderingKey,
  });
}

export function oversizedReason(bytes: number, maxBytes: number): string {
  return `message is ${bytes} bytes, larger than the ${maxBytes}-byte limit`;
}

/**
 * How deeply `[` and `{` nest in JSON text, outside strings; counting stops once past `limit`. Linear, no recursion.
 * For text that is not JSON the figure means little, and JSON.parse refuses it next.
 */
export function nestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return deepest;
}

function reject(reason: string): EnvelopeParseResult {
  return { ok: false, reason };
}
