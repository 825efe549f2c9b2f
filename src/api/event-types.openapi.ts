/** OpenAPI description of GET /webhooks/event-types (src/api/event-types.router.ts). */
import { documentRoutes } from './openapi/route-docs';
import { eventTypesSchema } from './responses.schemas';

documentRoutes([
  {
    method: 'get',
    path: '/webhooks/event-types',
    operationId: 'listEventTypes',
    summary: "The event catalog a subscription's events may name, and the wildcard",
    tag: 'Event types',
    auth: 'apiKey',
    responses: {
      200: {
        description: 'The catalog',
        schema: eventTypesSchema,
        example: {
          data: [{ type: 'NEW_MESSAGE_FROM_VISITOR', description: 'A visitor sent a message in a conversation.' }],
          wildcard: { type: '*', description: 'Subscribes to every event type, including ones added later.' },
        },
      },
    },
  },
]);
