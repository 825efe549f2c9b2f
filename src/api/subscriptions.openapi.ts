/** OpenAPI description of the subscription routes (src/api/subscriptions.router.ts), with the schemas they validate with. */
import { EVENT_CATALOG, WILDCARD_EVENT } from '../events/event-catalog';
import { EXAMPLE_SECRET, exampleSubscription } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import { createdSubscriptionSchema, rotatedSecretSchema, subscriptionPageSchema, subscriptionViewSchema } from './responses.schemas';
import {
  createSubscriptionSchema,
  listSubscriptionsQuerySchema,
  rotateSecretSchema,
  updateSubscriptionSchema,
} from './subscriptions.schemas';

const TAG = 'Subscriptions';
const id = { id: "The subscription id (a uuid); another account's id answers 404" };
const eventsRule = `Each entry is one of ${EVENT_CATALOG.map((e) => e.type).join(', ')} or ${WILDCARD_EVENT} (every type); duplicates are dropped.`;
const textRule =
  'Text fields refuse control characters (U+0000-U+001F, U+007F-U+009F) and lone surrogates; lengths count Unicode code points.';
const urlRule =
  'The URL is taken exactly as given: any whitespace, control character or backslash (anywhere, ends included) is refused, never normalised. An absolute http(s) URL without credentials whose host is (and resolves only to) public addresses, unless SSRF_ALLOW_CIDRS covers it; refused targets answer 400 target_not_allowed.';

documentRoutes([
  {
    method: 'post',
    path: '/webhooks/subscriptions',
    operationId: 'createSubscription',
    summary: 'Create a subscription (the answer carries its signing secret, shown only here and by rotate)',
    description: `${urlRule} ${eventsRule} ${textRule} At most WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT (default 100) per account: past it, 409 limit_reached.`,
    tag: TAG,
    auth: 'apiKey',
    body: {
      schema: createSubscriptionSchema,
      example: {
        url: 'https://hooks.example.com/chat',
        events: ['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'],
        description: 'CRM sync',
      },
    },
    responses: {
      201: {
        description: 'Created',
        schema: createdSubscriptionSchema,
        example: { ...exampleSubscription, secret: EXAMPLE_SECRET },
        headers: { Location: '/webhooks/subscriptions/{id}' },
      },
    },
    errors: [400, 409, 413],
  },
  {
    method: 'get',
    path: '/webhooks/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'List subscriptions, newest first (no secrets)',
    description: "`event` lists the subscriptions that receive that type, including `*` ones. `cursor` is the previous page's nextCursor.",
    tag: TAG,
    auth: 'apiKey',
    query: listSubscriptionsQuerySchema,
    responses: {
      200: { description: 'One page', schema: subscriptionPageSchema, example: { data: [exampleSubscription], nextCursor: null } },
    },
    errors: [400],
  },
  {
    method: 'get',
    path: '/webhooks/subscriptions/:id',
    operationId: 'getSubscription',
    summary: 'Read a subscription (no secret)',
    tag: TAG,
    auth: 'apiKey',
    params: id,
    responses: { 200: { description: 'The subscription', schema: subscriptionViewSchema, example: exampleSubscription } },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/webhooks/subscriptions/:id',
    operationId: 'updateSubscription',
    summary: 'Change url, events, description, isActive or rateLimitPerSecond',
    description: `Give at least one field. isActive: true clears disabledReason and disabledAt and, for a subscription that was off, its failing streak (failingSince, consecutiveFailures). ${urlRule}`,
    tag: TAG,
    auth: 'apiKey',
    params: id,
    body: { schema: updateSubscriptionSchema, example: { isActive: false } },
    responses: {
      200: {
        description: 'The updated subscription',
        schema: subscriptionViewSchema,
        example: { ...exampleSubscription, isActive: false },
      },
    },
    errors: [400, 404, 413],
  },
  {
    method: 'delete',
    path: '/webhooks/subscriptions/:id',
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription',
    tag: TAG,
    auth: 'apiKey',
    params: id,
    responses: { 204: { description: 'Deleted' } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/webhooks/subscriptions/:id/secret/rotate',
    operationId: 'rotateSubscriptionSecret',
    summary: 'Rotate the signing secret; the previous one keeps signing beside it for graceSeconds (default 86400)',
    description:
      'At most WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION (default 10) live secrets per subscription, the new one included: a rotation that would leave more answers 409 limit_reached and changes nothing. graceSeconds: 0 retires every previous secret at once and is always accepted.',
    tag: TAG,
    auth: 'apiKey',
    params: id,
    body: { schema: rotateSecretSchema, required: false, example: { graceSeconds: 3600 } },
    responses: { 200: { description: 'The new secret', schema: rotatedSecretSchema, example: { secret: EXAMPLE_SECRET } } },
    errors: [400, 404, 409],
  },
]);
