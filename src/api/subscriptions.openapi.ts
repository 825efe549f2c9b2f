/** OpenAPI description of the subscription routes (src/api/subscriptions.router.ts), with the schemas they validate with. */
import { EVENT_CATALOG, WILDCARD_EVENT } from '../events/event-catalog';
import { EXAMPLE_PUBLIC_KEY, EXAMPLE_SECRET, EXAMPLE_SUBSCRIPTION_ID, exampleSubscription } from './openapi/examples';
import { documentRoutes } from './openapi/route-docs';
import {
  createdSubscriptionSchema,
  jwksSchema,
  rotatedSecretSchema,
  subscriptionPageSchema,
  subscriptionViewSchema,
} from './responses.schemas';
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
const optionsRule =
  "filter: conditions on the event's data (an invalid one answers 400 validation_failed naming its bad part, e.g. filter.$or.1.amount.$gt). headers: sent on every attempt, reserved names refused, values stored encrypted. signatureScheme ed25519: the answer has publicKey instead of secret, deliveries carry v1a, signatures only (see docs/receiving.md).";
const urlRule =
  'The URL is taken exactly as given: any whitespace, control character or backslash (anywhere, ends included) is refused, never normalised. An absolute http(s) URL without credentials whose host is (and resolves only to) public addresses, unless SSRF_ALLOW_CIDRS covers it; refused targets answer 400 target_not_allowed.';

documentRoutes([
  {
    method: 'post',
    path: '/webhooks/subscriptions',
    operationId: 'createSubscription',
    summary: 'Create a subscription (the answer carries its signing secret, shown only here and by rotate)',
    description: `${urlRule} ${eventsRule} ${textRule} ${optionsRule} At most WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT (default 100) per account: past it, 409 limit_reached.`,
    tag: TAG,
    auth: 'apiKey',
    body: {
      schema: createSubscriptionSchema,
      example: {
        url: 'https://hooks.example.com/chat',
        events: ['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'],
        description: 'CRM sync',
        filter: { 'message.attachments': { $exists: true } },
        headers: { Authorization: 'Bearer receiver-token' },
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
    summary: 'Change url, events, description, isActive, rateLimitPerSecond, ordered, filter or headers',
    description: `Give at least one field. filter and headers replace the previous ones whole (null removes them); signatureScheme is fixed at creation. isActive: true clears disabledReason and disabledAt and, for a subscription that was off, its failing streak (failingSince, consecutiveFailures). ${urlRule}`,
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
    responses: {
      200: {
        description:
          'The new secret ({publicKey} instead for an ed25519 subscription: the previous key keeps signing during the grace period)',
        schema: rotatedSecretSchema,
        example: { secret: EXAMPLE_SECRET },
      },
    },
    errors: [400, 404, 409],
  },
  {
    method: 'get',
    path: '/webhooks/jwks.json',
    operationId: 'getSigningKeys',
    summary: "The account's ed25519 public keys as a JWKS (every live key of its ed25519 subscriptions)",
    description:
      'Behind the API key like every /webhooks route. A key rotated out stays listed until its grace period ends (expiresAt). Receivers may cache it and fetch it again on an unknown key.',
    tag: TAG,
    auth: 'apiKey',
    responses: {
      200: {
        description: 'The keys',
        schema: jwksSchema,
        example: {
          keys: [
            {
              kty: 'OKP',
              crv: 'Ed25519',
              x: Buffer.from(EXAMPLE_PUBLIC_KEY.slice(5), 'base64').toString('base64url'),
              kid: 'B0MzEHkakku_1MAS4QjiiIYZwjAX1ZYVD-1qDak6r_Q',
              use: 'sig',
              alg: 'EdDSA',
              subscriptionId: EXAMPLE_SUBSCRIPTION_ID,
              expiresAt: null,
            },
          ],
        },
      },
    },
  },
]);
