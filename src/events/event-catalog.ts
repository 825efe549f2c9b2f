/**
 * The event types the upstream chat platform emits, in one place. An operator adds a type by appending an entry
 * here: subscriptions may then name it, the listener accepts it, and GET /webhooks/event-types lists it.
 * Types are UPPER_SNAKE_CASE and never renamed once published (subscribers store them).
 */
export interface EventTypeDefinition {
  readonly type: string;
  readonly description: string;
}

/** A subscription listing `*` receives every event type, including ones added later. */
export const WILDCARD_EVENT = '*';

export const EVENT_CATALOG: readonly EventTypeDefinition[] = Object.freeze([
  { type: 'CONVERSATION_CREATED', description: 'A visitor or an operator started a new conversation.' },
  { type: 'CONVERSATION_ASSIGNED', description: 'A conversation was assigned (or reassigned) to an operator.' },
  { type: 'CONVERSATION_CLOSED', description: 'A conversation was closed.' },
  { type: 'CONVERSATION_REOPENED', description: 'A closed conversation was reopened.' },
  { type: 'NEW_MESSAGE_FROM_VISITOR', description: 'A visitor sent a message in a conversation.' },
  { type: 'NEW_MESSAGE_FROM_OPERATOR', description: 'An operator sent a message in a conversation.' },
  { type: 'VISITOR_IDENTIFIED', description: 'A visitor was identified (e.g. left an email address).' },
  { type: 'CONVERSATION_RATED', description: 'A visitor rated a conversation.' },
  {
    type: 'SUBSCRIPTION_DISABLED',
    description:
      "Emitted by the engine: it switched one of the account's subscriptions off, because the endpoint answered 410 Gone " +
      "(reason gone) or failed without a success for too long (reason failing). Sent to the account's other subscriptions.",
  },
]);

/**
 * The type of the event `POST /webhooks/subscriptions/:id/test` sends. Deliberately not in the catalog: no
 * subscription can list it, publishers cannot send it, and `*` does not match it; it only ever reaches the one
 * subscription it was sent to.
 */
export const TEST_EVENT_TYPE = 'WEBHOOK_TEST';

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_CATALOG.map((entry) => entry.type));

/** True for a type listed in the catalog (the wildcard is not an event type). */
export function isKnownEventType(type: string): boolean {
  return KNOWN_TYPES.has(type);
}

/** True for what a subscription may list in `events`: a catalog type or the wildcard. */
export function isSubscribableEvent(value: string): boolean {
  return value === WILDCARD_EVENT || KNOWN_TYPES.has(value);
}
