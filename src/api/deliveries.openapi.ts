/** OpenAPI description of the delivery routes (src/api/deliveries.router.ts). */
import { RECOVER_MAX_AGE_DAYS, RECOVER_MAX_DELIVERIES } from '../deliveries/recover-window';
import { listDeliveriesQuerySchema, recoverSchema, sendTestEventSchema } from './deliveries.schemas';
import { EXAMPLE_TIME, exampleDelivery } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import {
  deliveryDetailSchema,
  deliveryPageSchema,
  recoverAcceptedSchema,
  retryAcceptedSchema,
  testEventAcceptedSchema,
} from './responses.schemas';

const TAG = 'Deliveries';

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
    path: '/webhooks/deliveries/:id',
    operationId: 'getDelivery',
    summary: 'One delivery with every attempt',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The delivery id (a uuid)' },
    responses: {
      200: {
        description: 'The delivery and its attempt log',
        schema: deliveryDetailSchema,
        example: {
          ...exampleDelivery,
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
