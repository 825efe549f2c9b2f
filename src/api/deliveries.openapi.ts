/** OpenAPI description of the delivery routes (src/api/deliveries.router.ts). */
import { RECOVER_MAX_AGE_DAYS, RECOVER_MAX_DELIVERIES } from '../deliveries/recover-window';
import { deliveryStatsQuerySchema, listDeliveriesQuerySchema, recoverSchema, sendTestEventSchema } from './deliveries.schemas';
import { EXAMPLE_TIME, exampleDelivery } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import {
  deliveryDetailSchema,
  deliveryPageSchema,
  deliveryStatsSchema,
  recoverAcceptedSchema,
  retryAcceptedSchema,
  testEventAcceptedSchema,
} from './responses.schemas';

const TAG = 'Deliveries';

const statsBucket = (start: string, SUCCESS: number, FAILURE: number, PENDING: number) => ({
  start,
  counts: { SUCCESS, FAILURE, PENDING },
});
const exampleStatsBuckets = [
  ...Array.from({ length: 22 }, (_, i) => statsBucket(new Date(Date.UTC(2026, 10, 27, 19 + i)).toISOString(), 0, 0, 0)),
  statsBucket('2026-11-28T17:00:00.000Z', 40, 2, 0),
  statsBucket('2026-11-28T18:00:00.000Z', 12, 0, 1),
];

documentRoutes([
  {
    method: 'get',
    path: '/webhooks/subscriptions/:id/deliveries',
    operationId: 'listSubscriptionDeliveries',
    summary: "A subscription's deliveries, newest first",
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The subscription id (a uuid)' },
    query: listDeliveriesQuerySchema,
    responses: { 200: { description: 'One page', schema: deliveryPageSchema, example: { data: [exampleDelivery], nextCursor: null } } },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/webhooks/subscriptions/:id/delivery-stats',
    operationId: 'getSubscriptionDeliveryStats',
    summary: "A subscription's deliveries counted by outcome over the last 24 hours (hourly) or 7 days (6-hourly)",
    description:
      'Deliveries are counted in the bucket of their creation time, under their current status. The window ends at the end ' +
      'of the bucket holding now; every bucket is listed, oldest first, zeros included. Read from an index, never the rows.',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The subscription id (a uuid)' },
    query: deliveryStatsQuerySchema,
    responses: {
      200: {
        description: 'The buckets and their totals',
        schema: deliveryStatsSchema,
        example: {
          window: '24h',
          bucketSeconds: 3600,
          from: '2026-11-27T19:00:00.000Z',
          to: '2026-11-28T19:00:00.000Z',
          buckets: exampleStatsBuckets,
          totals: { SUCCESS: 52, FAILURE: 2, PENDING: 1 },
        },
      },
    },
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/webhooks/deliveries/:id',
    operationId: 'getDelivery',
    summary: "One delivery with every attempt and its event's body (capped)",
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The delivery id (a uuid)' },
    responses: {
      200: {
        description: 'The delivery and its attempt log',
        schema: deliveryDetailSchema,
        example: {
          ...exampleDelivery,
          payload: '{"id":"evt_1","type":"NEW_MESSAGE_FROM_VISITOR","data":{"message":{"text":"Hello"}}}',
          payloadTruncated: false,
          attemptLog: [
            { attempt: 1, startedAt: EXAMPLE_TIME, durationMs: 31, statusCode: 503, error: 'HTTP 503', responseBody: 'busy' },
            { attempt: 2, startedAt: '2026-11-28T18:00:05.200Z', durationMs: 12, statusCode: 200, error: null, responseBody: 'ok' },
          ],
        },
      },
    },
    errors: [404],
  },
  {
    method: 'post',
    path: '/webhooks/deliveries/:id/retry',
    operationId: 'retryDelivery',
    summary: 'Send the same event again to the same subscription (attempts append, same webhook-id)',
    description:
      '409 delivery_in_progress while a run of it is open; 409 subscription_inactive or subscription_deleted when it cannot be sent.',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The delivery id (a uuid)' },
    responses: {
      202: {
        description: 'Started',
        schema: retryAcceptedSchema,
        example: {
          id: exampleDelivery.id,
          workflowId: exampleDelivery.workflowId,
          runId: '0193f5d2-7f7c-7b3e-9a55-6c1d2e3f4a5b',
          status: 'PENDING',
        },
      },
    },
    errors: [404, 409],
  },
  {
    method: 'post',
    path: '/webhooks/subscriptions/:id/test',
    operationId: 'sendTestEvent',
    summary: 'Send a WEBHOOK_TEST event (or a sample of a catalog type) to this subscription only, whatever its events',
    description:
      'A delivery like any other: the event is stored, its delivery row created and one workflow started, signed with the ' +
      "subscription's secrets. WEBHOOK_TEST is not in the catalog: no subscription can list it and `*` does not match it. " +
      '409 subscription_inactive for an inactive subscription.',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The subscription id (a uuid)' },
    body: { schema: sendTestEventSchema, required: false, example: { type: 'NEW_MESSAGE_FROM_VISITOR' } },
    responses: {
      202: {
        description: 'Started',
        schema: testEventAcceptedSchema,
        example: { eventId: 'test_5d0c2b8e-3f4a-4b5c-8d9e-0a1b2c3d4e5f', deliveryId: exampleDelivery.id },
      },
    },
    errors: [400, 404, 409, 413],
  },
  {
    method: 'post',
    path: '/webhooks/subscriptions/:id/recover',
    operationId: 'recoverSubscriptionDeliveries',
    summary: 'Send again every FAILURE delivery of this subscription created in [since, until)',
    description:
      `Each one exactly as POST /webhooks/deliveries/{id}/retry does (attempts append, same webhook-id). since: in the past, at most ${RECOVER_MAX_AGE_DAYS} days ago; ` +
      `until: after since, default now. At most ${RECOVER_MAX_DELIVERIES} per call, oldest first: nextSince says where the rest start. ` +
      'A delivery with a run still open is skipped. 409 subscription_inactive for an inactive subscription.',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The subscription id (a uuid)' },
    body: { schema: recoverSchema, example: { since: '2026-11-28T00:00:00Z', until: '2026-11-29T00:00:00Z' } },
    responses: {
      202: { description: 'Started', schema: recoverAcceptedSchema, example: { deliveries: 12, nextSince: null } },
    },
    errors: [400, 404, 409, 413],
  },
]);
