/**
 * The delivery repository's writes on a real Postgres: attempt numbering under concurrent writers, idempotent
 * repeats, SUCCESS recorded with the attempt, FAILURE recorded on a delivery no attempt created, and the claim that
 * lets one execution of an attempt send at a time.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/app/data-source';
import { createSecretBox } from '../../src/crypto/secret-box';
import { requireEncryptionKey } from '../../src/config';
import { IN_FLIGHT_ATTEMPT_ERROR, INTERRUPTED_ATTEMPT_ERROR } from '../../src/deliveries/attempt-log';
import {
  createDeliveryRepository,
  type AttemptClaim,
  type AttemptRecord,
  type DeliveryRepository,
  type DeliveryStart,
} from '../../src/deliveries/delivery.repository';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';

let dataSource: DataSource;
let deliveries: DeliveryRepository;

beforeAll(async () => {
  const config = loadConfig({ ...process.env });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 8 });
  await dataSource.initialize();
  deliveries = createDeliveryRepository(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
});

function start() {
  const eventId = `evt_${randomUUID()}`;
  const subscriptionId = randomUUID();
  return {
    eventId,
    subscriptionId,
    accountId: 'acct_repo',
    eventType: 'CONVERSATION_CREATED',
    workflowId: `delivery:${eventId}:${subscriptionId}`,
  };
}

function claimOf(runId: string, activityAttempt = 1, forMs = 7_000): AttemptClaim {
  return { runId, activityAttempt, token: randomUUID(), forMs };
}

/** The delivery's row, PENDING, as the start of an attempt writes it, without an attempt row (it is not sent now). */
async function begun(delivery: DeliveryStart): Promise<string> {
  return (await deliveries.beginAttempt(delivery, { ...claimOf(randomUUID()), sendNow: false })).deliveryId;
}

function attempt(runId: string, activityAttempt: number, statusCode: number | null): AttemptRecord {
  return {
    runId,
    activityAttempt,
    startedAt: new Date(),
    durationMs: 12,
    statusCode,
    error: statusCode === 200 ? null : `HTTP ${statusCode}`,
    responseBody: null,
  };
}

describe('delivery repository', () => {
  it('upserts the PENDING row and reads the subscription and the event in one call', async () => {
    const box = createSecretBox(requireEncryptionKey(loadConfig({ ...process.env })));
    const { subscription } = await insertSubscription(dataSource, box, { url: 'https://hooks.example.com/in' });
    const event = await insertEvent(dataSource, { accountId: subscription.accountId });
    const begun = await deliveries.beginAttempt(
      { ...start(), eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId },
      claimOf(randomUUID()),
    );

    expect(begun.subscription).toEqual({
      id: subscription.id,
      url: 'https://hooks.example.com/in',
      isActive: true,
      rateLimitPerSecond: null,
      secrets: subscription.secrets,
      headers: null,
      signatureScheme: 'hmac',
    });
    expect(begun.event).toEqual({ type: event.type, body: event.body });
    expect(await deliveries.findById(begun.deliveryId)).toMatchObject({
      status: 'PENDING',
      eventId: event.id,
      subscriptionId: subscription.id,
    });
    const again = await deliveries.beginAttempt(
      { ...start(), eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId },
      claimOf(randomUUID()),
    );
    expect(again.deliveryId).toBe(begun.deliveryId);
  });

  it('creates the row even when the subscription and the event are missing, and says so', async () => {
    const begun = await deliveries.beginAttempt(start(), claimOf(randomUUID()));
    expect(begun.subscription).toBeNull();
    expect(begun.event).toBeNull();
    expect(await deliveries.findById(begun.deliveryId)).toMatchObject({ status: 'PENDING' });
  });

  it('numbers attempts from concurrent writers of one delivery 1..n without gaps and counts them on the row', async () => {
    const id = await begun(start());
    const runId = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => deliveries.recordAttempt(id, attempt(runId, i + 1, 500))));

    expect(results.map((r) => r.attempt).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await deliveries.listAttempts(id)).map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await deliveries.findById(id)).toMatchObject({ status: 'PENDING', attempts: 8 });
  });

  it('records SUCCESS with the successful attempt, and a repeated call appends nothing', async () => {
    const id = await begun(start());
    const runId = randomUUID();
    await deliveries.recordAttempt(id, attempt(runId, 1, 500));
    const first = await deliveries.recordAttempt(id, attempt(runId, 2, 200), { succeeded: true });
    const again = await deliveries.recordAttempt(id, attempt(runId, 2, 200), { succeeded: true });

    expect(first).toEqual({ attempt: 2, inserted: true, switchedOff: false });
    expect(again).toEqual({ attempt: 2, inserted: false, switchedOff: false });
    expect(await deliveries.listAttempts(id)).toHaveLength(2);
    expect(await deliveries.findById(id)).toMatchObject({ status: 'SUCCESS', attempts: 2, lastStatusCode: 200, lastError: null });
  });

  it('refuses an attempt for a delivery that does not exist', async () => {
    await expect(deliveries.recordAttempt(randomUUID(), attempt(randomUUID(), 1, 200))).rejects.toThrow(/does not exist/);
  });

  it('records FAILURE on a delivery no attempt created, and on an existing one keeps its attempts', async () => {
    const never = start();
    const createdId = await deliveries.recordFailure(never, 'subscription was deleted');
    expect(await deliveries.findByEventAndSubscription(never.eventId, never.subscriptionId)).toMatchObject({
      id: createdId,
      status: 'FAILURE',
      attempts: 0,
      lastError: 'subscription was deleted',
      workflowId: never.workflowId,
    });

    const tried = start();
    const id = await begun(tried);
    await deliveries.recordAttempt(id, attempt(randomUUID(), 1, 503));
    expect(await deliveries.recordFailure(tried, 'HTTP 503')).toBe(id);
    expect(await deliveries.findById(id)).toMatchObject({ status: 'FAILURE', attempts: 1, lastStatusCode: 503, lastError: 'HTTP 503' });
  });

  it('sets a finished delivery back to PENDING when it is started again, keeping its id', async () => {
    const fields = start();
    const id = await deliveries.recordFailure(fields, 'HTTP 500');
    expect(await begun(fields)).toBe(id);
    expect(await deliveries.findById(id)).toMatchObject({ status: 'PENDING' });
  });
  describe('the claim on an attempt', () => {
    it('lets one execution of an attempt hold it; a second one of the same key is told how long it is held', async () => {
      const delivery = start();
      const runId = randomUUID();
      const first = await deliveries.beginAttempt(delivery, claimOf(runId, 1, 7_000));
      const second = await deliveries.beginAttempt(delivery, claimOf(runId, 1, 7_000));

      expect(first.claim).toEqual({ state: 'claimed' });
      expect(second.deliveryId).toBe(first.deliveryId);
      expect(second.claim.state).toBe('held');
      const heldForMs = second.claim.state === 'held' ? second.claim.heldForMs : 0;
      // Held until the first claim ends: no longer than it was taken for, and no less than what is left of it now.
      const [row] = await dataSource.query(
        `SELECT CEIL(EXTRACT(EPOCH FROM (claim_until - now())) * 1000)::int AS left_ms FROM webhook_deliveries WHERE id = $1`,
        [first.deliveryId],
      );
      expect(row.left_ms).toBeGreaterThan(0);
      expect(heldForMs).toBeGreaterThanOrEqual(row.left_ms);
      expect(heldForMs).toBeLessThanOrEqual(7_000);
    });

    it('does not hold back another attempt of the run, nor a new run of the delivery (a reset)', async () => {
      const delivery = start();
      const runId = randomUUID();
      await deliveries.beginAttempt(delivery, claimOf(runId, 1));

      expect((await deliveries.beginAttempt(delivery, claimOf(runId, 2))).claim).toEqual({ state: 'claimed' });
      expect((await deliveries.beginAttempt(delivery, claimOf(randomUUID(), 1))).claim).toEqual({ state: 'claimed' });
    });

    it('answers a recorded attempt with its outcome and keeps the row SUCCESS; a recorded failure too', async () => {
      const delivery = start();
      const runId = randomUUID();
      const first = await deliveries.beginAttempt(delivery, claimOf(runId, 1));
      await deliveries.recordAttempt(first.deliveryId, attempt(runId, 1, 200), { succeeded: true });

      const again = await deliveries.beginAttempt(delivery, claimOf(runId, 1));
      expect(again.claim).toEqual({ state: 'recorded', recorded: { attempt: 1, statusCode: 200, error: null } });
      expect(await deliveries.findById(first.deliveryId)).toMatchObject({ status: 'SUCCESS', attempts: 1 });

      const failing = start();
      const failingRun = randomUUID();
      const begun = await deliveries.beginAttempt(failing, claimOf(failingRun, 1));
      await deliveries.recordAttempt(begun.deliveryId, attempt(failingRun, 1, 503));
      expect((await deliveries.beginAttempt(failing, claimOf(failingRun, 1))).claim).toEqual({
        state: 'recorded',
        recorded: { attempt: 1, statusCode: 503, error: 'HTTP 503' },
      });
    });

    it('is released by releaseClaim, and taken over once it expires (an execution that died holding it)', async () => {
      const delivery = start();
      const runId = randomUUID();
      const mine = claimOf(runId, 1);
      const begun = await deliveries.beginAttempt(delivery, mine);
      await deliveries.releaseClaim(begun.deliveryId, mine.token);
      expect((await deliveries.beginAttempt(delivery, claimOf(runId, 1))).claim).toEqual({ state: 'claimed' });

      const expiring = start();
      const held = await deliveries.beginAttempt(expiring, claimOf(runId, 1, 300));
      expect((await deliveries.beginAttempt(expiring, claimOf(runId, 1))).claim.state).toBe('held');
      await waitUntil(async () => {
        const [row] = await dataSource.query(`SELECT claim_until < now() AS expired FROM webhook_deliveries WHERE id = $1`, [
          held.deliveryId,
        ]);
        return row.expired === true;
      });
      expect((await deliveries.beginAttempt(expiring, claimOf(runId, 1))).claim).toEqual({ state: 'claimed' });
    });

    it('gives exactly one of many concurrent executions of an attempt the claim', async () => {
      const delivery = start();
      const runId = randomUUID();
      await begun(delivery);
      const answers = await Promise.all(Array.from({ length: 8 }, () => deliveries.beginAttempt(delivery, claimOf(runId, 1))));

      expect(answers.filter((a) => a.claim.state === 'claimed')).toHaveLength(1);
      expect(answers.filter((a) => a.claim.state === 'held')).toHaveLength(7);
    });
  });

  describe('the attempt log: one entry per request', () => {
    async function sendable(options: { rateLimitPerSecond?: number } = {}) {
      const box = createSecretBox(requireEncryptionKey(loadConfig({ ...process.env })));
      const { subscription } = await insertSubscription(dataSource, box, { url: 'https://hooks.example.com/in' });
      if (options.rateLimitPerSecond !== undefined) {
        await dataSource.query(`UPDATE webhook_subscriptions SET rate_limit_per_second = $2 WHERE id = $1`, [
          subscription.id,
          options.rateLimitPerSecond,
        ]);
      }
      const event = await insertEvent(dataSource, { accountId: subscription.accountId });
      return { ...start(), eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId };
    }

    it('writes the attempt in flight with beginAttempt, and fills in its outcome by the claim token', async () => {
      const delivery = await sendable();
      const runId = randomUUID();
      const claim = claimOf(runId, 1);
      const begun = await deliveries.beginAttempt(delivery, claim);
      expect(begun.openedAttempt).toBe(1);
      // `attempts` counts attempts whose outcome is recorded.
      expect(await deliveries.findById(begun.deliveryId)).toMatchObject({ attempts: 0, status: 'PENDING' });
      expect((await deliveries.listAttempts(begun.deliveryId)).map((a) => [a.attempt, a.inFlight, a.error])).toEqual([
        [1, true, IN_FLIGHT_ATTEMPT_ERROR],
      ]);

      const recorded = await deliveries.recordAttempt(
        begun.deliveryId,
        { ...attempt(runId, 1, 200), claimToken: claim.token },
        { succeeded: true },
      );
      expect(recorded).toEqual({ attempt: 1, inserted: true, switchedOff: false });
      const again = await deliveries.recordAttempt(
        begun.deliveryId,
        { ...attempt(runId, 1, 200), claimToken: claim.token },
        { succeeded: true },
      );
      expect(again).toMatchObject({ attempt: 1, inserted: false });
      expect(await deliveries.findById(begun.deliveryId)).toMatchObject({ attempts: 1, status: 'SUCCESS', lastStatusCode: 200 });
      expect((await deliveries.listAttempts(begun.deliveryId)).map((a) => [a.attempt, a.inFlight, a.statusCode, a.error])).toEqual([
        [1, false, 200, null],
      ]);
    });

    it('reads an attempt whose execution lost its claim as interrupted; the attempt made again is an entry of its own', async () => {
      const delivery = await sendable();
      const runId = randomUUID();
      const dead = await deliveries.beginAttempt(delivery, claimOf(runId, 1, 300_000));
      // The claim passes to another key (Temporal's next attempt after the first one's execution died).
      const next = claimOf(runId, 2);
      const retry = await deliveries.beginAttempt(delivery, next);
      expect(retry.openedAttempt).toBe(2);
      await deliveries.recordAttempt(retry.deliveryId, { ...attempt(runId, 2, 200), claimToken: next.token }, { succeeded: true });
      expect((await deliveries.listAttempts(dead.deliveryId)).map((a) => [a.attempt, a.activityAttempt, a.statusCode, a.error])).toEqual([
        [1, 1, null, INTERRUPTED_ATTEMPT_ERROR],
        [2, 2, 200, null],
      ]);
    });

    it('makes a key whose claim expired again as a new entry, and answers a key with an outcome on record', async () => {
      const delivery = await sendable();
      const runId = randomUUID();
      const first = await deliveries.beginAttempt(delivery, claimOf(runId, 1, 1));
      await waitUntil(async () => {
        const [row] = await dataSource.query(`SELECT claim_until < now() AS expired FROM webhook_deliveries WHERE id = $1`, [
          first.deliveryId,
        ]);
        return row.expired === true;
      });
      const remade = claimOf(runId, 1);
      const second = await deliveries.beginAttempt(delivery, remade);
      expect(second).toMatchObject({ deliveryId: first.deliveryId, openedAttempt: 2, claim: { state: 'claimed' } });
      await deliveries.recordAttempt(second.deliveryId, { ...attempt(runId, 1, 503), claimToken: remade.token });
      expect((await deliveries.beginAttempt(delivery, claimOf(runId, 1))).claim).toEqual({
        state: 'recorded',
        recorded: { attempt: 2, statusCode: 503, error: 'HTTP 503' },
      });
      expect((await deliveries.listAttempts(first.deliveryId)).map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, null],
        [2, 503],
      ]);
    });

    it('writes nothing before the request when it may not go out at once; openAttempt writes it just before', async () => {
      const busy = await sendable();
      expect((await deliveries.beginAttempt(busy, { ...claimOf(randomUUID()), sendNow: false })).openedAttempt).toBeNull();
      const limited = await sendable({ rateLimitPerSecond: 5 });
      const runId = randomUUID();
      const claim = claimOf(runId, 1);
      const begun = await deliveries.beginAttempt(limited, claim);
      expect(begun.openedAttempt).toBeNull();
      expect(await deliveries.listAttempts(begun.deliveryId)).toEqual([]);
      expect(await deliveries.openAttempt(begun.deliveryId, { runId, activityAttempt: 1, token: claim.token })).toBe(1);
      await deliveries.recordAttempt(begun.deliveryId, { ...attempt(runId, 1, 500), claimToken: claim.token });
      expect(await deliveries.findById(begun.deliveryId)).toMatchObject({ attempts: 1, lastStatusCode: 500 });
      expect((await deliveries.beginAttempt(start(), claimOf(randomUUID()))).openedAttempt).toBeNull();
    });

    it('numbers entries gap-free when many attempts of a delivery begin at once', async () => {
      const delivery = await sendable();
      const runId = randomUUID();
      const begun = await Promise.all(Array.from({ length: 6 }, (_, i) => deliveries.beginAttempt(delivery, claimOf(runId, i + 1))));
      expect(begun.map((b) => b.openedAttempt).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await deliveries.listAttempts(begun[0].deliveryId)).map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    });
  });
});

/** Polls `check` until it holds (a claim that expires by the database's clock). */
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
