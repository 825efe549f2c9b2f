import { parseEnvelope } from '../../src/events/envelope';
import { isKnownEventType } from '../../src/events/event-catalog';
import { subscriptionDisabledEnvelope, switchOffFor, type SubscriptionDisabledData } from '../../src/subscriptions/subscription-health';

const at = new Date('2026-12-02T12:00:00.000Z');
const facts = { subscriptionId: 'fa720a5b-5b2e-4c1e-9a3e-2f0c1d2e3f40', url: 'https://hooks.example.com/in', accountId: 'acme', at };

describe('what a failed attempt may do to its subscription', () => {
  it('switches it off as gone after a 410, whatever the window', () => {
    for (const disableAfterMs of [null, 3_600_000]) {
      const off = switchOffFor({ ...facts, gone: true, disableAfterMs });
      expect(off).toMatchObject({ reason: 'gone', at, failingBefore: null });
    }
  });

  it('switches it off as failing when it has failed since before the window', () => {
    const off = switchOffFor({ ...facts, gone: false, disableAfterMs: 120 * 3_600_000 });
    expect(off).toMatchObject({ reason: 'failing', at, failingBefore: new Date('2026-11-27T12:00:00.000Z') });
  });

  it('asks for nothing without a 410 when auto-disable is off', () => {
    expect(switchOffFor({ ...facts, gone: false, disableAfterMs: null })).toBeUndefined();
  });

  it('carries the SUBSCRIPTION_DISABLED event, a valid envelope of a catalog type, with a stable id', () => {
    const off = switchOffFor({ ...facts, gone: false, disableAfterMs: 1000 });
    const parsed = parseEnvelope(off!.event.body, { isKnownType: isKnownEventType });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.body).toBe(off!.event.body);
    expect(parsed.envelope).toEqual({
      id: off!.event.id,
      type: 'SUBSCRIPTION_DISABLED',
      accountId: 'acme',
      occurredAt: '2026-12-02T12:00:00.000Z',
      data: { subscriptionId: facts.subscriptionId, url: facts.url, reason: 'failing', disabledAt: '2026-12-02T12:00:00.000Z' },
    });
    expect(off!.event).toMatchObject({ accountId: 'acme', type: 'SUBSCRIPTION_DISABLED' });
    const data = parsed.envelope.data as unknown as SubscriptionDisabledData;
    expect(subscriptionDisabledEnvelope({ accountId: 'acme', data }).id).toBe(off!.event.id);
    const later = subscriptionDisabledEnvelope({ accountId: 'acme', data: { ...data, disabledAt: '2026-12-02T12:00:01.000Z' } });
    expect(later.id).not.toBe(off!.event.id);
  });
});
