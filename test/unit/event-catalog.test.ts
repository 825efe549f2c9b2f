import { EVENT_CATALOG, isKnownEventType, isSubscribableEvent } from '../../src/events/event-catalog';

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
