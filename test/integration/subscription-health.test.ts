/**
 * The subscription's health as the attempt statement keeps it, on a real Postgres: a success clears the failure streak
 * and writes lastSuccessAt at most once a minute; failures count up from the first failure's time; a failed attempt
 * switches the subscription off (gone at once, failing after the window) exactly once, storing its
 * SUBSCRIPTION_DISABLED event in the same statement; switching it back on through the repository resets the streak.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository, type AttemptRecord, type DeliveryRepository } from '../../src/deliveries/delivery.repository';
import { switchOffFor } from '../../src/subscriptions/subscription-health';
import { createSubscriptionRepository } from '../../src/subscriptions/subscription.repository';
import { insertSubscription } from '../helpers/subscription-fixtures';

let dataSource: DataSource;
let deliveries: DeliveryRepository;
let box: SecretBox;

beforeAll(async () => {
  const config = loadConfig({ ...process.env });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 8 });
  await dataSource.initialize();
  deliveries = createDeliveryRepository(dataSource);
  box = createSecretBox(requireEncryptionKey(config));
});

afterAll(async () => {
  await dataSource?.destroy();
});

const T0 = Date.parse('2030-01-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const HOUR = 3_600_000;

interface HealthRow {
  is_active: boolean;
  last_success_at: Date | null;
  failing_since: Date | null;
  consecutive_failures: number;
  disabled_reason: string | null;
  disabled_at: Date | null;
}

async function health(subscriptionId: string): Promise<HealthRow> {
  const rows = await dataSource.query(
    `SELECT is_active, last_success_at, failing_since, consecutive_failures, disabled_reason, disabled_at FROM webhook_subscriptions WHERE id = $1`,
    [subscriptionId],
  );
  return rows[0];
}

/** A subscription and a delivery of it to record attempts on. */
async function subscriptionWithDelivery() {
  const { subscription } = await insertSubscription(dataSource, box, { url: 'https://hooks.example.com/health' });
  const eventId = `evt_${randomUUID()}`;
  const { deliveryId } = await deliveries.beginAttempt(
    {
      eventId,
      subscriptionId: subscription.id,
      accountId: subscription.accountId,
      eventType: 'CONVERSATION_CREATED',
      workflowId: `delivery:${eventId}:${subscription.id}`,
    },
    { runId: `start-${randomUUID()}`, activityAttempt: 1, token: randomUUID(), forMs: 1, sendNow: false },
  );
  return { subscription, deliveryId };
}

let runIds = 0;
function attemptAt(seconds: number, statusCode: number): AttemptRecord {
  runIds += 1;
  return {
    runId: `run-${runIds}-${randomUUID()}`,
    activityAttempt: 1,
    startedAt: at(seconds),
    durationMs: 5,
    statusCode,
    error: statusCode < 300 ? null : `HTTP ${statusCode}`,
    responseBody: null,
  };
}

describe('subscription health kept by the attempt statement', () => {
  it('counts failures from the first one and clears the streak on a success', async () => {
    const { subscription, deliveryId } = await subscriptionWithDelivery();
    expect(await health(subscription.id)).toMatchObject({ last_success_at: null, failing_since: null, consecutive_failures: 0 });

    const first = attemptAt(0, 503);
    await deliveries.recordAttempt(deliveryId, first);
    await deliveries.recordAttempt(deliveryId, attemptAt(10, 500));
    // The same attempt recorded again (a replayed activity) counts once.
    await deliveries.recordAttempt(deliveryId, first);
    expect(await health(subscription.id)).toMatchObject({
      failing_since: at(0),
      consecutive_failures: 2,
      last_success_at: null,
      is_active: true,
    });

    await deliveries.recordAttempt(deliveryId, attemptAt(20, 200), { succeeded: true });
    expect(await health(subscription.id)).toMatchObject({ failing_since: null, consecutive_failures: 0, last_success_at: at(20) });
  });

  it('writes lastSuccessAt on a success at most once a minute while nothing failed', async () => {
    const { subscription, deliveryId } = await subscriptionWithDelivery();
    await deliveries.recordAttempt(deliveryId, attemptAt(0, 200), { succeeded: true });
    const [{ xmin: before }] = await dataSource.query(`SELECT xmin::text FROM webhook_subscriptions WHERE id = $1`, [subscription.id]);
    await deliveries.recordAttempt(deliveryId, attemptAt(30, 200), { succeeded: true });
    await deliveries.recordAttempt(deliveryId, attemptAt(59, 204), { succeeded: true });
    const [{ xmin: after }] = await dataSource.query(`SELECT xmin::text FROM webhook_subscriptions WHERE id = $1`, [subscription.id]);
    expect(after).toBe(before); // the row was not written
    expect((await health(subscription.id)).last_success_at).toEqual(at(0));

    await deliveries.recordAttempt(deliveryId, attemptAt(61, 200), { succeeded: true });
    expect((await health(subscription.id)).last_success_at).toEqual(at(61));
  });

  it('switches a failing subscription off once the window has passed, and stores its event in the same statement', async () => {
    const { subscription, deliveryId } = await subscriptionWithDelivery();
    const failAt = async (seconds: number) => {
      const switchOff = switchOffFor({
        subscriptionId: subscription.id,
        url: subscription.url,
        accountId: subscription.accountId,
        at: at(seconds),
        gone: false,
        disableAfterMs: HOUR,
      });
      return { switchOff, recorded: await deliveries.recordAttempt(deliveryId, attemptAt(seconds, 500), { switchOff }) };
    };

    expect((await failAt(0)).recorded.switchedOff).toBe(false);
    expect((await failAt(3600)).recorded.switchedOff).toBe(false); // exactly the window: not yet
    expect(await health(subscription.id)).toMatchObject({ is_active: true, consecutive_failures: 2, disabled_reason: null });

    const { switchOff, recorded } = await failAt(3601);
    expect(recorded.switchedOff).toBe(true);
    expect(await health(subscription.id)).toMatchObject({
      is_active: false,
      disabled_reason: 'failing',
      disabled_at: at(3601),
      failing_since: at(0),
      consecutive_failures: 3,
    });
    const events = await dataSource.query(`SELECT id, type, body, dispatched_at FROM webhook_events WHERE account_id = $1`, [
      subscription.accountId,
    ]);
    expect(events).toEqual([{ id: switchOff!.event.id, type: 'SUBSCRIPTION_DISABLED', body: switchOff!.event.body, dispatched_at: null }]);
    expect(JSON.parse(events[0].body).data).toEqual({
      subscriptionId: subscription.id,
      url: subscription.url,
      reason: 'failing',
      disabledAt: at(3601).toISOString(),
    });

    // Already off: a later failure (an attempt that was in flight) switches nothing and stores nothing.
    expect((await failAt(3700)).recorded.switchedOff).toBe(false);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM webhook_events WHERE account_id = $1`, [subscription.accountId]);
    expect(n).toBe(1);
    expect((await health(subscription.id)).disabled_at).toEqual(at(3601));
  });

  it('switches it off as gone at the first 410, and only one of many concurrent failures does', async () => {
    const { subscription, deliveryId } = await subscriptionWithDelivery();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const switchOff = switchOffFor({
          subscriptionId: subscription.id,
          url: subscription.url,
          accountId: subscription.accountId,
          at: at(i),
          gone: true,
          disableAfterMs: null,
        });
        return deliveries.recordAttempt(deliveryId, attemptAt(i, 410), { switchOff });
      }),
    );
    expect(results.filter((r) => r.switchedOff)).toHaveLength(1);
    expect(await health(subscription.id)).toMatchObject({ is_active: false, disabled_reason: 'gone', consecutive_failures: 8 });
    const events = await dataSource.query(`SELECT body FROM webhook_events WHERE account_id = $1`, [subscription.accountId]);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0].body).data.reason).toBe('gone');
  });

  it('leaves a subscription switched off by hand alone', async () => {
    const { subscription, deliveryId } = await subscriptionWithDelivery();
    await dataSource.query(`UPDATE webhook_subscriptions SET is_active = false WHERE id = $1`, [subscription.id]);
    const switchOff = switchOffFor({
      subscriptionId: subscription.id,
      url: subscription.url,
      accountId: subscription.accountId,
      at: at(0),
      gone: true,
      disableAfterMs: null,
    });
    expect((await deliveries.recordAttempt(deliveryId, attemptAt(0, 410), { switchOff })).switchedOff).toBe(false);
    expect(await health(subscription.id)).toMatchObject({ is_active: false, disabled_reason: null, disabled_at: null });
  });

  it('resets the streak when a switched-off subscription is switched back on, and keeps it for an active one', async () => {
    const repository = createSubscriptionRepository(dataSource);
    const off = await subscriptionWithDelivery();
    await deliveries.recordAttempt(off.deliveryId, attemptAt(0, 410), {
      switchOff: switchOffFor({
        subscriptionId: off.subscription.id,
        url: off.subscription.url,
        accountId: off.subscription.accountId,
        at: at(0),
        gone: true,
        disableAfterMs: null,
      }),
    });
    const on = await repository.update(off.subscription.accountId, off.subscription.id, { isActive: true });
    expect(on).toMatchObject({ isActive: true, disabledReason: null, disabledAt: null, failingSince: null, consecutiveFailures: 0 });

    const active = await subscriptionWithDelivery();
    await deliveries.recordAttempt(active.deliveryId, attemptAt(0, 500));
    const still = await repository.update(active.subscription.accountId, active.subscription.id, { isActive: true, description: 'x' });
    expect(still).toMatchObject({ isActive: true, failingSince: at(0), consecutiveFailures: 1 });
  });
});
