/**
 * The shapes the API answers with, as zod schemas: for the OpenAPI document (src/api/openapi) and for the tests
 * that check real answers against it. The request schemas are the ones the routes validate with
 * (subscriptions.schemas.ts and beside each router).
 */
import { z } from 'zod';
import { documentComponent } from './openapi/route-docs';

const isoDate = z.iso.datetime({ offset: true });

export const errorBodySchema = documentComponent(
  'Error',
  z.strictObject({
    error: z.strictObject({
      code: z.string().meta({
        description:
          'Machine-readable: validation_failed, target_not_allowed, unauthorized, not_found, conflict, payload_too_large, rate_limited, internal_error, ...',
      }),
      message: z.string(),
      details: z.array(z.strictObject({ field: z.string().optional(), message: z.string() })),
    }),
  }),
);

export const subscriptionViewSchema = documentComponent(
  'Subscription',
  z.strictObject({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    isActive: z.boolean(),
    rateLimitPerSecond: z.number().int().nullable(),
    ordered: z.boolean().meta({
      description:
        'Deliveries of events that share an orderingKey form a lane: each starts only after the one before it ended (SUCCESS, or FAILURE once its retries are exhausted).',
    }),
    filter: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "Conditions on the event's data (MongoDB-style); null: every event of the subscription's types." }),
    headers: z
      .record(z.string(), z.string())
      .nullable()
      .meta({ description: 'Custom headers sent on every attempt (stored encrypted; shown to the account only); null: none.' }),
    signatureScheme: z.enum(['hmac', 'ed25519']),
    publicKey: z
      .string()
      .regex(/^whpk_[A-Za-z0-9+/]{43}=$/)
      .nullable()
      .meta({ description: 'ed25519: the current public key (whpk_ + base64 of the 32-byte raw key); null for hmac.' }),
    disabledReason: z
      .enum(['gone', 'failing'])
      .nullable()
      .meta({ description: 'Why the engine switched it off (410 Gone, or failing for too long).' }),
    disabledAt: isoDate.nullable(),
    lastSuccessAt: isoDate
      .nullable()
      .meta({ description: 'The last successful delivery attempt (kept to the minute); null before the first.' }),
    failingSince: isoDate
      .nullable()
      .meta({ description: 'The first failed attempt after the last success; null while healthy. Auto-disable counts from it.' }),
    consecutiveFailures: z.number().int().min(0).meta({ description: 'Failed attempts since the last success.' }),
    createdAt: isoDate,
    updatedAt: isoDate,
  }),
);

const secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
  .meta({ description: 'whsec_ + base64 of 32 random bytes; shown only by create and rotate.' });

export const createdSubscriptionSchema = documentComponent(
  'SubscriptionWithSecret',
  subscriptionViewSchema.extend({ secret: secret.optional().meta({ description: 'hmac only (ed25519: see publicKey).' }) }),
);

export const subscriptionPageSchema = z.strictObject({ data: z.array(subscriptionViewSchema), nextCursor: z.string().nullable() });

const publicKey = z
  .string()
  .regex(/^whpk_[A-Za-z0-9+/]{43}=$/)
  .meta({ description: 'ed25519 subscriptions: the new public key (whpk_ + base64 of the 32-byte raw key).' });

export const rotatedSecretSchema = z.union([z.strictObject({ secret }), z.strictObject({ publicKey })]);

export const jwksSchema = documentComponent(
  'Jwks',
  z.strictObject({
    keys: z.array(
      z.strictObject({
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string().meta({ description: 'base64url of the 32-byte raw public key' }),
        kid: z.string().meta({ description: 'RFC 7638 thumbprint (base64url SHA-256)' }),
        use: z.literal('sig'),
        alg: z.literal('EdDSA'),
        subscriptionId: z.uuid().meta({ description: 'The subscription whose deliveries this key signs' }),
        expiresAt: isoDate.nullable().meta({ description: 'End of the grace period of a rotated-out key; null for the current one' }),
      }),
    ),
  }),
);

export const eventTypesSchema = z.strictObject({
  data: z.array(z.strictObject({ type: z.string(), description: z.string() })),
  wildcard: z.strictObject({ type: z.literal('*'), description: z.string() }),
});

export const deliveryViewSchema = documentComponent(
  'Delivery',
  z.strictObject({
    id: z.uuid(),
    subscriptionId: z.uuid(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['PENDING', 'SUCCESS', 'FAILURE']),
    attempts: z.number().int().min(0),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    workflowId: z.string(),
    orderingKey: z
      .string()
      .nullable()
      .meta({ description: "The event's orderingKey when the subscription is ordered (the delivery is in a lane)." }),
    waitingFor: z
      .uuid()
      .nullable()
      .meta({ description: 'While the delivery waits for its turn in its lane: the id of the delivery before it.' }),
    createdAt: isoDate,
    updatedAt: isoDate,
  }),
);

export const deliveryPageSchema = z.strictObject({ data: z.array(deliveryViewSchema), nextCursor: z.string().nullable() });

export const deliveryDetailSchema = deliveryViewSchema.extend({
  payload: z.string().nullable().meta({
    description: 'The event body as stored (the bytes sent, as text): its first 16,384 characters. Null once retention removed the event.',
  }),
  payloadTruncated: z.boolean().meta({ description: 'True when the body is longer than what payload shows.' }),
  attemptLog: z.array(
    z.strictObject({
      attempt: z.number().int().min(1),
      startedAt: isoDate,
      durationMs: z.number().int().min(0),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable().meta({
        description:
          'Why the attempt failed; null for a success. An attempt whose worker stopped before its answer was recorded reads "interrupted: ...".',
      }),
      responseBody: z
        .string()
        .nullable()
        .meta({ description: "The first 1 KiB of the receiver's answer, decoded as UTF-8 (see docs/receiver-answers.md)." }),
    }),
  ),
});

const outcomeCounts = z.strictObject({
  SUCCESS: z.number().int().min(0),
  FAILURE: z.number().int().min(0),
  PENDING: z.number().int().min(0),
});

export const deliveryStatsSchema = z.strictObject({
  window: z.enum(['24h', '7d']),
  bucketSeconds: z.number().int().min(1),
  from: isoDate.meta({ description: 'Start of the first bucket (inclusive, on a whole hour, UTC).' }),
  to: isoDate.meta({ description: 'End of the last bucket (exclusive): the end of the bucket holding now.' }),
  buckets: z
    .array(z.strictObject({ start: isoDate, counts: outcomeCounts }))
    .meta({ description: 'Every bucket, oldest first; deliveries counted by their current status, by creation time.' }),
  totals: outcomeCounts,
});

export const retryAcceptedSchema = z.strictObject({
  id: z.uuid(),
  workflowId: z.string(),
  runId: z.string(),
  status: z.literal('PENDING'),
});

export const testEventAcceptedSchema = z.strictObject({
  eventId: z.string().meta({ description: "The test event's id (starts with test_); the body's id and part of the workflow id." }),
  deliveryId: z.uuid().meta({ description: 'Its delivery: GET /webhooks/deliveries/{deliveryId} shows the attempts.' }),
});

export const recoverAcceptedSchema = z.strictObject({
  deliveries: z.number().int().min(0).meta({ description: 'FAILURE deliveries of the window sent again by this call.' }),
  nextSince: isoDate.nullable().meta({
    description:
      'Null when the whole window was handled; otherwise more FAILURE deliveries are left (each call takes at most 1000, oldest first): call again with this as since.',
  }),
});

export const healthSchema = z.strictObject({ ok: z.literal(true) });

export const readinessSchema = z.strictObject({
  ok: z.boolean(),
  checks: z.record(z.string(), z.strictObject({ ok: z.boolean(), error: z.string().optional() })),
});
