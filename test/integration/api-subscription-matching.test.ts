import { DISPATCH_TARGETS_SQL, findDispatchTargets } from '../../src/subscriptions/subscription.repository';
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

  const found = async (accountId: string, type: string) => (await findDispatchTargets(api.dataSource, accountId, type)).map((s) => s.id);

  it('returns exact and wildcard matches of the account, oldest first, never inactive ones', async () => {
    expect(await found(accountA.accountId, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([ids.visitor, ids.all]);
    expect(await found(accountA.accountId, 'CONVERSATION_CREATED')).toEqual([ids.all, ids.created]);
    expect(await found(accountA.accountId, 'CONVERSATION_CLOSED')).toEqual([ids.all]);
  });

  it('gives the dispatcher each subscription as its id, URL, whether it is ordered and its filter', async () => {
    expect(await findDispatchTargets(api.dataSource, accountA.accountId, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([
      { id: ids.visitor, url: `https://${PUBLIC_HOST}/visitor`, ordered: false, filter: null },
      { id: ids.all, url: `https://${PUBLIC_HOST}/all`, ordered: false, filter: null },
    ]);
  });

  it('sends every type to a wildcard subscription, even one the catalog does not list yet', async () => {
    expect(await found(accountA.accountId, 'SOME_TYPE_ADDED_LATER')).toEqual([ids.all]);
  });

  it('matches a type exactly: any one of the listed events, case-sensitive, never a prefix or a pattern', async () => {
    // Stored as they are (the API accepts catalog types only), to check the rule where it runs: in the statement.
    const account = `rules-${process.env.TEST_RUN_ID}`;
    const stored: Record<string, string> = {};
    for (const [name, events] of [
      ['several', ['CONVERSATION_CREATED', 'NEW_MESSAGE_FROM_VISITOR']],
      ['closedOrAll', ['CONVERSATION_CLOSED', '*']],
      ['none', []],
      ['lowercase', ['new_message_from_visitor']],
      ['prefix', ['NEW_MESSAGE']],
      ['pattern', ['NEW_MESSAGE_*']],
    ] as const) {
      const [row]: Array<{ id: string }> = await api.dataSource.query(
        `INSERT INTO webhook_subscriptions (account_id, url, events) VALUES ($1, $2, $3) RETURNING id`,
        [account, `https://${PUBLIC_HOST}/${name}`, events],
      );
      stored[name] = row.id;
    }
    expect(await found(account, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([stored.several, stored.closedOrAll]);
    expect(await found(account, 'CONVERSATION_CREATED')).toEqual([stored.several, stored.closedOrAll]);
    expect(await found(account, 'CONVERSATION_CLOSED')).toEqual([stored.closedOrAll]);
  });

  it("never returns another account's subscriptions", async () => {
    expect(await found(accountB.accountId, 'NEW_MESSAGE_FROM_VISITOR')).toEqual([ids.otherAccount]);
    expect(await found('nobody', 'NEW_MESSAGE_FROM_VISITOR')).toEqual([]);
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
    // The run's database also holds other files' subscriptions (many of them to "*"), which sway the planner's
    // estimates; what is checked is that the statement's shape lets the index serve it.
    const explain = (text: string, values: unknown[]) =>
      api.dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const rows: Array<{ 'QUERY PLAN': string }> = await manager.query(`EXPLAIN ${text}`, values);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    const dispatchPlan = await explain(DISPATCH_TARGETS_SQL, [big, ['CONVERSATION_CLOSED', '*']]);
    expect(dispatchPlan).toContain('idx_webhook_subscriptions_events');
    expect(await found(big, 'CONVERSATION_CLOSED')).toHaveLength(10);
  });
});
