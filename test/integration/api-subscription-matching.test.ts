import {
  activeSubscriptionsForEventQuery,
  DISPATCH_TARGETS_SQL,
  findActiveSubscriptionsForEvent,
  findDispatchTargets,
} from '../../src/subscriptions/subscription.repository';
import { ApiHarness, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('finding the active subscriptions an event goes to', () => {
  let api: ApiHarness;
  const ids: Record<string, string> = {};
  let accountA: { accountId: string; key: string };
  let accountB: { accountId: string; key: string };

  beforeAll(async () => {
    api = await startApiHarness();
    accountA = await api.newAccount('a');
    accountB = await api.newAccount('b');
    const make = async (name: string, key: string, events: string[], isActive = true) => {
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key,
        body: { url: `https://${PUBLIC_HOST}/${name}`, events, isActive },
      });
      ids[name] = res.body.id;
    };
    await make('visitor', accountA.key, ['NEW_MESSAGE_FROM_VISITOR']);
    await make('all', accountA.key, ['*']);
    await make('created', accountA.key, ['CONVERSATION_CREATED']);
    await make('inactive', accountA.key, ['NEW_MESSAGE_FROM_VISITOR'], false);
    await make('otherAccount', accountB.key, ['*']);
  });
  afterAll(() => api.close());

  const found = async (accountId: string, type: string) =>
    (await findActiveSubscriptionsForEvent(api.dataSource, accountId, type)).map((s) => s.id);

  it('returns exact and wildcard matches of the account, oldest first, never inactive ones', async () => {
    expect(await found(accountA.accountId, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([ids.visitor, ids.all]);
    expect(await found(accountA.accountId, 'CONVERSATION_CREATED')).toEqual([ids.all, ids.created]);
    expect(await found(accountA.accountId, 'CONVERSATION_CLOSED')).toEqual([ids.all]);
  });

  it('gives the dispatcher the same subscriptions in the same order, as id and URL', async () => {
    for (const [accountId, type] of [
      [accountA.accountId, 'NEW_MESSAGE_FROM_VISITOR'],
      [accountA.accountId, 'CONVERSATION_CREATED'],
      [accountA.accountId, 'CONVERSATION_CLOSED'],
      [accountB.accountId, 'NEW_MESSAGE_FROM_VISITOR'],
      ['nobody', 'NEW_MESSAGE_FROM_VISITOR'],
    ]) {
      const full = await findActiveSubscriptionsForEvent(api.dataSource, accountId, type);
      expect(await findDispatchTargets(api.dataSource, accountId, type)).toEqual(full.map((s) => ({ id: s.id, url: s.url })));
    }
  });

  it("never returns another account's subscriptions", async () => {
    expect(await found(accountB.accountId, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([ids.otherAccount]);
    expect(await found('nobody', 'NEW_MESSAGE_FROM_VISITOR')).toEqual([]);
  });

  it('returns full entities with their sealed secrets for signing', async () => {
    const [subscription] = await findActiveSubscriptionsForEvent(api.dataSource, accountA.accountId, 'CONVERSATION_CLOSED');
    expect(subscription.secrets).toHaveLength(1);
    expect(subscription.secrets[0].ciphertext).toMatch(/^v1:/);
    expect(subscription.createdAt).toBeInstanceOf(Date);
  });

  it('uses the GIN index on events for an account with many subscriptions', async () => {
    const big = `big-${process.env.TEST_RUN_ID}`;
    await api.dataSource.query(
      `INSERT INTO webhook_subscriptions (account_id, url, events)
       SELECT $1, 'https://hooks.example.com/' || g,
              CASE WHEN g % 2000 = 0 THEN ARRAY['CONVERSATION_CLOSED'] ELSE ARRAY['NEW_MESSAGE_FROM_VISITOR'] END
       FROM generate_series(1, 20000) g`,
      [big],
    );
    await api.dataSource.query('ANALYZE webhook_subscriptions');
    const [sql, params] = activeSubscriptionsForEventQuery(api.dataSource, big, 'CONVERSATION_CLOSED').getQueryAndParameters();
    // The run's database also holds other files' subscriptions (many of them to "*"), which sway the planner's
    // estimates; what is checked is that each statement's shape lets the index serve it.
    const explain = (text: string, values: unknown[]) =>
      api.dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const rows: Array<{ 'QUERY PLAN': string }> = await manager.query(`EXPLAIN ${text}`, values);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    const plan = await explain(sql, params);
    expect(plan).toContain('idx_webhook_subscriptions_events');
    const dispatchPlan = await explain(DISPATCH_TARGETS_SQL, [big, ['CONVERSATION_CLOSED', '*']]);
    expect(dispatchPlan).toContain('idx_webhook_subscriptions_events');
    expect(await found(big, 'CONVERSATION_CLOSED')).toHaveLength(10);
    expect(await findDispatchTargets(api.dataSource, big, 'CONVERSATION_CLOSED')).toHaveLength(10);
  });
});
