import { serialiseEnvelope } from '../../src/events/envelope';
import { EVENT_CATALOG, isKnownEventType, isSubscribableEvent, TEST_EVENT_TYPE } from '../../src/events/event-catalog';
import { SAMPLE_EVENT_DATA, TESTABLE_EVENT_TYPES, testEventEnvelope } from '../../src/events/sample-events';

const at = new Date('2026-12-02T12:00:00.000Z');
const input = { eventId: 'test_1', accountId: 'acme', subscriptionId: 'fa720a5b-5b2e-4c1e-9a3e-2f0c1d2e3f40', occurredAt: at };

describe('test events', () => {
  it('have a small sample for every catalog type, and nothing else', () => {
    expect(Object.keys(SAMPLE_EVENT_DATA).sort()).toEqual(EVENT_CATALOG.map((e) => e.type).sort());
    for (const data of Object.values(SAMPLE_EVENT_DATA)) {
      expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(512);
    }
    expect(TESTABLE_EVENT_TYPES).toEqual([TEST_EVENT_TYPE, ...EVENT_CATALOG.map((e) => e.type)]);
  });

  it('build a WEBHOOK_TEST envelope naming the subscription', () => {
    const envelope = testEventEnvelope({ ...input, type: 'WEBHOOK_TEST' });
    expect(envelope).toEqual({
      id: 'test_1',
      type: 'WEBHOOK_TEST',
      accountId: 'acme',
      occurredAt: '2026-12-02T12:00:00.000Z',
      data: { subscriptionId: input.subscriptionId, message: expect.any(String) },
    });
  });

  it('build a sample of a catalog type with its sample data, and are pure', () => {
    const first = testEventEnvelope({ ...input, type: 'NEW_MESSAGE_FROM_VISITOR' });
    expect(first.data).toEqual(SAMPLE_EVENT_DATA.NEW_MESSAGE_FROM_VISITOR);
    expect(serialiseEnvelope(testEventEnvelope({ ...input, type: 'NEW_MESSAGE_FROM_VISITOR' }))).toBe(serialiseEnvelope(first));
  });

  it('refuse a type that is neither WEBHOOK_TEST nor in the catalog', () => {
    for (const type of ['NOPE', '*', 'toString', '']) {
      expect(() => testEventEnvelope({ ...input, type })).toThrow(/no sample/);
    }
  });

  it('use a type no subscription can list and no publisher can send', () => {
    expect(isSubscribableEvent(TEST_EVENT_TYPE)).toBe(false);
    expect(isKnownEventType(TEST_EVENT_TYPE)).toBe(false);
    expect(isKnownEventType('SUBSCRIPTION_DISABLED')).toBe(true);
  });
});
