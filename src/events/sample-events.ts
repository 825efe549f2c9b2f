/**
 * What `POST /webhooks/subscriptions/:id/test` sends: the `WEBHOOK_TEST` event, or a sample of a catalog type with
 * small, fixed example data (no real conversation, visitor or operator behind any value). Pure.
 */
import type { EventEnvelope } from './envelope';
import { EVENT_CATALOG, TEST_EVENT_TYPE } from './event-catalog';

const CONVERSATION = 'conv_sample_1';
const VISITOR = 'visitor_sample_1';
const OPERATOR = 'operator_sample_1';

/** Example data per catalog type (a unit test checks that every catalog type has one). */
export const SAMPLE_EVENT_DATA: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.freeze({
  CONVERSATION_CREATED: { conversationId: CONVERSATION, visitorId: VISITOR, channel: 'web' },
  CONVERSATION_ASSIGNED: { conversationId: CONVERSATION, operatorId: OPERATOR },
  CONVERSATION_CLOSED: { conversationId: CONVERSATION, closedBy: OPERATOR },
  CONVERSATION_REOPENED: { conversationId: CONVERSATION, reopenedBy: VISITOR },
  NEW_MESSAGE_FROM_VISITOR: {
    conversationId: CONVERSATION,
    messageId: 'msg_sample_1',
    visitorId: VISITOR,
    text: 'Hello, I have a question about my order.',
  },
  NEW_MESSAGE_FROM_OPERATOR: { conversationId: CONVERSATION, messageId: 'msg_sample_2', operatorId: OPERATOR, text: 'Hi! How can I help?' },
  VISITOR_IDENTIFIED: { visitorId: VISITOR, email: 'visitor@example.com' },
  CONVERSATION_RATED: { conversationId: CONVERSATION, rating: 5, comment: 'Quick and helpful.' },
  SUBSCRIPTION_DISABLED: {
    subscriptionId: '00000000-0000-4000-8000-000000000000',
    url: 'https://hooks.example.com/old-endpoint',
    reason: 'failing',
    disabledAt: '2026-01-01T00:00:00.000Z',
  },
});

/** Types the test route accepts: the test event and every catalog type. */
export const TESTABLE_EVENT_TYPES: readonly string[] = Object.freeze([TEST_EVENT_TYPE, ...EVENT_CATALOG.map((e) => e.type)]);

export interface TestEventInput {
  readonly eventId: string;
  readonly accountId: string;
  readonly subscriptionId: string;
  /** WEBHOOK_TEST or a catalog type. */
  readonly type: string;
  readonly occurredAt: Date;
}

/** The envelope of a test event. Throws for a type that is neither WEBHOOK_TEST nor in the catalog (the API validates first). */
export function testEventEnvelope(input: TestEventInput): EventEnvelope {
  const data =
    input.type === TEST_EVENT_TYPE
      ? { subscriptionId: input.subscriptionId, message: 'A test event sent through the API; it carries no real data.' }
      : Object.hasOwn(SAMPLE_EVENT_DATA, input.type)
        ? SAMPLE_EVENT_DATA[input.type]
        : undefined;
  if (!data) throw new Error(`no sample for event type ${input.type}`);
  return { id: input.eventId, type: input.type, accountId: input.accountId, occurredAt: input.occurredAt.toISOString(), data };
}
