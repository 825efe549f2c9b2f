import { EVENT_CATALOG, isKnownEventType, isSubscribableEvent } from '../../src/events/event-catalog';
import { eventMatches } from '../../src/subscriptions/event-matching';

describe('matching an event type to a subscription', () => {
  it.each<[string[], string, boolean]>([
    [['NEW_MESSAGE_FROM_VISITOR'], 'NEW_MESSAGE_FROM_VISITOR', true],
    [['CONVERSATION_CREATED', 'NEW_MESSAGE_FROM_VISITOR'], 'NEW_MESSAGE_FROM_VISITOR', true],
    [['CONVERSATION_CREATED'], 'NEW_MESSAGE_FROM_VISITOR', false],
    [['*'], 'NEW_MESSAGE_FROM_VISITOR', true],
    [['*'], 'SOME_TYPE_ADDED_LATER', true],
    [['CONVERSATION_CLOSED', '*'], 'CONVERSATION_CREATED', true],
    [[], 'CONVERSATION_CREATED', false],
    [['new_message_from_visitor'], 'NEW_MESSAGE_FROM_VISITOR', false],
    [['NEW_MESSAGE'], 'NEW_MESSAGE_FROM_VISITOR', false],
    [['NEW_MESSAGE_*'], 'NEW_MESSAGE_FROM_VISITOR', false],
    [['*'], '', false],
  ])('events %j and type %j match: %s', (events, type, expected) => {
    expect(eventMatches(events, type)).toBe(expected);
  });
});

describe('the event catalog', () => {
  it('lists the upstream types with descriptions and no duplicates', () => {
    const types = EVENT_CATALOG.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED']));
    expect(new Set(types).size).toBe(types.length);
    for (const entry of EVENT_CATALOG) {
      expect(entry.type).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(entry.description.length).toBeGreaterThan(0);
    }
  });

  it('accepts catalog types and the wildcard for subscriptions, but the wildcard is not an event type', () => {
    expect(isSubscribableEvent('CONVERSATION_CREATED')).toBe(true);
    expect(isSubscribableEvent('*')).toBe(true);
    expect(isSubscribableEvent('UNKNOWN')).toBe(false);
    expect(isKnownEventType('*')).toBe(false);
    expect(isKnownEventType('NEW_MESSAGE_FROM_VISITOR')).toBe(true);
  });
});
