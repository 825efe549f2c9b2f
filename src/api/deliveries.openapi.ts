/** OpenAPI description of the delivery routes (src/api/deliveries.router.ts). */
import { listDeliveriesQuerySchema } from './deliveries.schemas';
import { EXAMPLE_TIME, exampleDelivery } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import { deliveryDetailSchema, deliveryPageSchema, retryAcceptedSchema } from './responses.schemas';

const TAG = 'Deliveries';

documentRoutes([
  {
    method: 'get',
    path: '/webhooks/subscriptions/:id/deliveries',
    operationId: 'listSubscriptionDeliveries',
    summary: 'A subscription\'s deliveries, newest first',
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
    description: '409 delivery_in_progress while a run of it is open; 409 subscription_inactive or subscription_deleted when it cannot be sent.',
    tag: TAG,
    auth: 'apiKey',
    params: { id: 'The delivery id (a uuid)' },
    responses: {
      202: {
        description: 'Started',
        schema: retryAcceptedSchema,
        example: { id: exampleDelivery.id, workflowId: exampleDelivery.workflowId, runId: '0193f5d2-7f7c-7b3e-9a55-6c1d2e3f4a5b', status: 'PENDING' },
      },
    },
    errors: [404, 409],
  },
]);
