import type { WebhookDelivery } from '../../src/deliveries/delivery.entity';
import { createRecoverer } from '../../src/deliveries/recover.service';
import type { WebhookSubscription } from '../../src/subscriptions/subscription.entity';

const subscription = { id: 'sub-1', accountId: 'acme', url: 'https://hooks.example.com/in' } as WebhookSubscription;
const window = { since: '2026-12-01T00:00:00Z', until: '2026-12-02T00:00:00Z' };
const deliveries = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d${i}` }) as WebhookDelivery);

describe('recovering a window of failed deliveries', () => {
  it('re-sends every delivery found, a few at a time, and counts the ones started', async () => {
    const asked: unknown[] = [];
    let inFlight = 0;
    let peak = 0;
    const recover = createRecoverer({
      deliveries: {
        listFailedInWindow: async (...args) => {
          asked.push(args);
          return { rows: deliveries(10), nextSince: '2026-12-01T12:00:00.000000Z' };
        },
      },
      redeliver: async (delivery) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        // Every lane takes its delivery before any finishes (they start together): yield once so that they overlap.
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return delivery.id === 'd3' ? { outcome: 'running' } : { outcome: 'started', runId: `run-${delivery.id}` };
      },
      maxDeliveries: 10,
      concurrency: 3,
    });
    expect(await recover(subscription, window)).toEqual({ deliveries: 9, nextSince: '2026-12-01T12:00:00.000000Z' });
    expect(asked).toEqual([['acme', 'sub-1', window, 10]]);
    expect(peak).toBe(3);
  });

  it('stops taking more after a start fails, and raises that failure', async () => {
    const sent: string[] = [];
    const recover = createRecoverer({
      deliveries: { listFailedInWindow: async () => ({ rows: deliveries(20), nextSince: null }) },
      redeliver: async (delivery) => {
        sent.push(delivery.id);
        if (delivery.id === 'd1') throw new Error('Temporal unreachable');
        return { outcome: 'started', runId: 'r' };
      },
      concurrency: 2,
    });
    await expect(recover(subscription, window)).rejects.toThrow('Temporal unreachable');
    expect(sent.length).toBeLessThan(5);
  });

  it('answers zero for an empty window', async () => {
    const recover = createRecoverer({
      deliveries: { listFailedInWindow: async () => ({ rows: [], nextSince: null }) },
      redeliver: async () => {
        throw new Error('not called');
      },
    });
    expect(await recover(subscription, window)).toEqual({ deliveries: 0, nextSince: null });
  });
});
