import { ApiHarness, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('listing subscriptions', () => {
  let api: ApiHarness;
  let account: { accountId: string; key: string };
  const ids: string[] = [];

  const specs: Array<{ events: string[]; isActive: boolean }> = [
    { events: ['NEW_MESSAGE_FROM_VISITOR'], isActive: true },
    { events: ['CONVERSATION_CREATED'], isActive: false },
    { events: ['*'], isActive: true },
    { events: ['CONVERSATION_CLOSED', 'NEW_MESSAGE_FROM_VISITOR'], isActive: false },
    { events: ['CONVERSATION_CREATED'], isActive: true },
  ];

  beforeAll(async () => {
    api = await startApiHarness();
    account = await api.newAccount();
    for (const [i, spec] of specs.entries()) {
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: `https://${PUBLIC_HOST}/${i}`, ...spec },
      });
      ids.push(res.body.id);
    }
  });
  afterAll(() => api.close());

  async function listAll(query: string, limit: number): Promise<{ pages: string[][]; all: string[] }> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.request('GET', `/webhooks/subscriptions?limit=${limit}${query}${suffix}`, { key: account.key });
      expect(res.status).toBe(200);
      pages.push(res.body.data.map((s: { id: string }) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return { pages, all: pages.flat() };
  }

  it('pages newest first with an opaque cursor, every row exactly once, null cursor at the end', async () => {
    const { pages, all } = await listAll('', 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(all).toEqual([...ids].reverse());
  });

  it('returns 20 by default and a null cursor when everything fits', async () => {
    const res = await api.request('GET', '/webhooks/subscriptions', { key: account.key });
    expect(res.body.data).toHaveLength(5);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data[0]).toEqual({
      id: ids[4],
      url: `https://${PUBLIC_HOST}/4`,
      events: ['CONVERSATION_CREATED'],
      description: null,
      isActive: true,
      rateLimitPerSecond: null,
      ordered: false,
      filter: null,
      headers: null,
      signatureScheme: 'hmac',
      publicKey: null,
      disabledReason: null,
      disabledAt: null,
      lastSuccessAt: null,
      failingSince: null,
      consecutiveFailures: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('filters by isActive', async () => {
    expect((await listAll('&isActive=false', 1)).all).toEqual([ids[3], ids[1]]);
    expect((await listAll('&isActive=true', 2)).all).toEqual([ids[4], ids[2], ids[0]]);
  });

  it('filters by event: subscriptions that receive it, including wildcard ones', async () => {
    expect((await listAll('&event=NEW_MESSAGE_FROM_VISITOR', 10)).all).toEqual([ids[3], ids[2], ids[0]]);
    expect((await listAll('&event=CONVERSATION_CREATED&isActive=true', 10)).all).toEqual([ids[4], ids[2]]);
    expect((await listAll('&event=*', 10)).all).toEqual([ids[2]]);
    expect((await listAll('&event=VISITOR_IDENTIFIED', 10)).all).toEqual([ids[2]]);
  });

  it('keeps pages stable when rows share the same createdAt', async () => {
    const other = await api.newAccount('same-time');
    const sameIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: other.key,
        body: { url: `https://${PUBLIC_HOST}/t${i}`, events: ['*'] },
      });
      sameIds.push(res.body.id);
    }
    await api.dataSource.query(`UPDATE webhook_subscriptions SET created_at = '2030-01-01T00:00:00.123456Z' WHERE account_id = $1`, [
      other.accountId,
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.request('GET', `/webhooks/subscriptions?limit=3${suffix}`, { key: other.key });
      seen.push(...res.body.data.map((s: { id: string }) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...sameIds].sort().reverse());
  });
});
