/**
 * POST /webhooks/subscriptions/:id/recover on real parts: only the FAILURE deliveries of that subscription created in
 * [since, until) are sent again, each as a retry (attempts appended, same webhook-id); bad windows, unknown or foreign
 * ids and inactive subscriptions answer with the error and change nothing. The repository's per-call bound and
 * nextSince on a real Postgres.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import { createDeliveryReadRepository } from '../../src/deliveries/delivery-read.repository';
import { webhookIdFor } from '../../src/http/signer';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('POST /webhooks/subscriptions/:id/recover', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  let owner: { accountId: string; key: string };
  let main: { id: string };
  let other: { id: string };
  /** Answers by path; every path not listed answers 200. */
  const answers = new Map<string, number>();
  const made: Record<'before' | 'failed' | 'succeeded' | 'otherFailed' | 'after', string> = {} as never;
  let since = '';
  let until = '';

  const deliver = async (type: string, subscriptionId: string) => {
    const event = newEvent(owner.accountId, type);
    await engine.publish(event);
    return waitFor(
      async () => {
        const rows = await engine.dataSource.query(
          `SELECT id FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2 AND status <> 'PENDING'`,
          [event.id, subscriptionId],
        );
        return rows[0]?.id as string | undefined;
      },
      20_000,
      `delivery of ${event.id}`,
    );
  };
  /**
   * A window boundary later than every delivery row of the account so far, by the database's clock (the one that
   * writes created_at), so the rows made before it fall before it and the rows made after it fall after it.
   */
  const boundary = async () =>
    waitFor(
      async () => {
        const [row] = await engine.dataSource.query(
          `SELECT to_char(date_trunc('milliseconds', now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
                  date_trunc('milliseconds', now()) > coalesce(max(created_at), '-infinity') AS later
             FROM webhook_deliveries WHERE account_id = $1`,
          [owner.accountId],
        );
        return row.later ? (row.at as string) : null;
      },
      5_000,
      'a window boundary after the rows made so far',
    );
  /**
   * Every delivery workflow of the account has closed (a refused or finished recover left no run open): nothing is
   * left that could send.
   */
  const allClosed = () =>
    waitFor(
      async () => {
        const rows: Array<{ workflow_id: string }> = await engine.dataSource.query(
          `SELECT workflow_id FROM webhook_deliveries WHERE account_id = $1`,
          [owner.accountId],
        );
        const statuses = await Promise.all(
          rows.map(async (r) => (await engine.temporal.workflow.getHandle(r.workflow_id).describe()).status.name),
        );
        return statuses.length > 0 && statuses.every((status) => status !== 'RUNNING');
      },
      20_000,
      'every delivery workflow of the account closed',
    );
  const snapshot = async () =>
    engine.dataSource.query(`SELECT id, status, attempts, updated_at FROM webhook_deliveries WHERE account_id = $1 ORDER BY id`, [
      owner.accountId,
    ]);

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    receiver.setDefault((request) => ({ status: answers.get(request.path) ?? 200 }));
    engine = await startEngine(testConfig('recover'), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    owner = await engine.newAccount('recover');
    main = (
      await engine.request('POST', '/webhooks/subscriptions', owner.key, {
        url: `${receiver.origin}/main`,
        events: ['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'],
      })
    ).body;
    other = (
      await engine.request('POST', '/webhooks/subscriptions', owner.key, {
        url: `${receiver.origin}/other`,
        events: ['CONVERSATION_CLOSED'],
      })
    ).body;
    answers.set('/main', 503).set('/other', 503);

    made.before = await deliver('NEW_MESSAGE_FROM_VISITOR', main.id); // FAILURE, before the window
    since = await boundary();
    made.failed = await deliver('NEW_MESSAGE_FROM_VISITOR', main.id); // FAILURE, in the window
    answers.set('/main', 200);
    made.succeeded = await deliver('CONVERSATION_CREATED', main.id); // SUCCESS, in the window
    made.otherFailed = await deliver('CONVERSATION_CLOSED', other.id); // another subscription's FAILURE, in the window
    until = await boundary();
    answers.set('/main', 503);
    made.after = await deliver('NEW_MESSAGE_FROM_VISITOR', main.id); // FAILURE, after the window
    answers.delete('/main');
    answers.delete('/other');
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });

  it('answers 400 validation_failed with details for a bad window, and changes nothing', async () => {
    const before = await snapshot();
    receiver.reset();
    const DAY = 24 * 60 * 60 * 1000;
    const bad: Array<[unknown, string]> = [
      [{}, 'since'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2026-12-01T10:00:00' }, 'since'],
      [{ since: since, until: 'later' }, 'until'],
      [{ since, until: since }, 'until'],
      [{ since: until, until: since }, 'until'],
      [{ since: new Date(Date.now() - 15 * DAY).toISOString() }, 'since'],
      [{ since: new Date(Date.now() + 60_000).toISOString() }, 'since'],
      [{ since, limit: 10 }, 'limit'],
    ];
    for (const [body, field] of bad) {
      const res = await engine.request('POST', `/webhooks/subscriptions/${main.id}/recover`, owner.key, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    // A recover starts its runs before it answers: with no run open after the refusals, none was started.
    await allClosed();
    expect(receiver.requests).toHaveLength(0);
    expect(await snapshot()).toEqual(before);
  });

  it("answers 404 for unknown, malformed and another account's ids and 409 for an inactive subscription; nothing changes", async () => {
    const before = await snapshot();
    receiver.reset();
    const intruder = await engine.newAccount('intruder');
    const window = { since };
    expect((await engine.request('POST', `/webhooks/subscriptions/${main.id}/recover`, intruder.key, window)).status).toBe(404);
    expect(
      (await engine.request('POST', '/webhooks/subscriptions/00000000-0000-4000-8000-000000000000/recover', owner.key, window)).status,
    ).toBe(404);
    expect((await engine.request('POST', '/webhooks/subscriptions/not-a-uuid/recover', owner.key, window)).status).toBe(404);
    const off = (
      await engine.request('POST', '/webhooks/subscriptions', owner.key, { url: `${receiver.origin}/off`, events: ['*'], isActive: false })
    ).body;
    const inactive = await engine.request('POST', `/webhooks/subscriptions/${off.id}/recover`, owner.key, window);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error.code).toBe('subscription_inactive');
    await allClosed();
    expect(receiver.requests).toHaveLength(0);
    expect(await snapshot()).toEqual(before);
  });

  it('reads the window oldest first, at most the bound per call, and says where the rest start', async () => {
    const reads = createDeliveryReadRepository(engine.dataSource);
    const everything = { since: new Date(Date.now() - 60 * 60 * 1000).toISOString(), until: new Date(Date.now() + 60_000).toISOString() };
    const first = await reads.listFailedInWindow(owner.accountId, main.id, everything, 1);
    expect(first.rows.map((d) => d.id)).toEqual([made.before]);
    expect(first.nextSince).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const second = await reads.listFailedInWindow(owner.accountId, main.id, { ...everything, since: first.nextSince as string }, 1);
    expect(second.rows.map((d) => d.id)).toEqual([made.failed]);
    const rest = await reads.listFailedInWindow(owner.accountId, main.id, { ...everything, since: second.nextSince as string }, 5);
    expect(rest).toEqual({ rows: [expect.objectContaining({ id: made.after })], nextSince: null });
  });

  it("sends again only the window's FAILURE deliveries of this subscription, as retries under the same webhook-id", async () => {
    const failedBefore = await engine.request('GET', `/webhooks/deliveries/${made.failed}`, owner.key);
    expect(failedBefore.body).toMatchObject({ status: 'FAILURE', attempts: 3 });
    receiver.reset();

    const res = await engine.request('POST', `/webhooks/subscriptions/${main.id}/recover`, owner.key, { since, until });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: 1, nextSince: null });

    const [request] = await receiver.waitForRequests(1, 20_000);
    expect(request.path).toBe('/main');
    expect(request.json<{ id: string }>().id).toBe(failedBefore.body.eventId);
    // The webhook-id every attempt of this delivery carried (it derives from the delivery row's id).
    expect(request.headers['webhook-id']).toBe(webhookIdFor(made.failed));
    const recovered = await waitFor(
      async () => {
        const got = await engine.request('GET', `/webhooks/deliveries/${made.failed}`, owner.key);
        return got.body.status === 'SUCCESS' ? got.body : null;
      },
      15_000,
      'recovered delivery SUCCESS',
    );
    expect(recovered.attempts).toBe(4);
    expect(recovered.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 503, 200]);

    // The recovered run and every other delivery's run have closed: the one request is all this recover sent.
    await allClosed();
    expect(receiver.requests).toHaveLength(1);
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(made).map(async ([name, id]) => [
          name,
          (await engine.request('GET', `/webhooks/deliveries/${id}`, owner.key)).body.status,
        ]),
      ),
    );
    expect(statuses).toEqual({ before: 'FAILURE', failed: 'SUCCESS', succeeded: 'SUCCESS', otherFailed: 'FAILURE', after: 'FAILURE' });
    expect(other.id).toBeDefined();
  });
});
