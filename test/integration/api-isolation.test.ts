import { ApiHarness, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('account isolation', () => {
  let api: ApiHarness;
  let owner: { accountId: string; key: string };
  let intruder: { accountId: string; key: string };
  let ownedId: string;
  let ownedSecretsBefore: unknown;

  beforeAll(async () => {
    api = await startApiHarness();
    owner = await api.newAccount('owner');
    intruder = await api.newAccount('intruder');
    const created = await api.request('POST', '/webhooks/subscriptions', {
      key: owner.key,
      body: { url: `https://${PUBLIC_HOST}/owned`, events: ['*'], description: 'owned' },
    });
    ownedId = created.body.id;
    [{ secrets: ownedSecretsBefore }] = await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [ownedId]);
  });
  afterAll(() => api.close());

  const expectNotFound = (res: { status: number; body: any }) => {
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'not_found', message: 'subscription not found', details: [] });
  };

  it("answers 404 when reading another account's subscription", async () => {
    expectNotFound(await api.request('GET', `/webhooks/subscriptions/${ownedId}`, { key: intruder.key }));
  });

  it("answers 404 when updating another account's subscription, even with a blocked URL, and changes nothing", async () => {
    expectNotFound(await api.request('PATCH', `/webhooks/subscriptions/${ownedId}`, { key: intruder.key, body: { isActive: false } }));
    expectNotFound(
      await api.request('PATCH', `/webhooks/subscriptions/${ownedId}`, { key: intruder.key, body: { url: 'http://10.0.0.1/' } }),
    );
    const read = await api.request('GET', `/webhooks/subscriptions/${ownedId}`, { key: owner.key });
    expect(read.body).toMatchObject({ isActive: true, url: `https://${PUBLIC_HOST}/owned` });
  });

  it("answers 404 when rotating another account's secret and leaves the secrets untouched", async () => {
    expectNotFound(await api.request('POST', `/webhooks/subscriptions/${ownedId}/secret/rotate`, { key: intruder.key, body: {} }));
    const [{ secrets }] = await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [ownedId]);
    expect(secrets).toEqual(ownedSecretsBefore);
  });

  it("answers 404 when deleting another account's subscription and the row survives", async () => {
    expectNotFound(await api.request('DELETE', `/webhooks/subscriptions/${ownedId}`, { key: intruder.key }));
    expect((await api.request('GET', `/webhooks/subscriptions/${ownedId}`, { key: owner.key })).status).toBe(200);
  });

  it("never lists another account's subscriptions, with or without filters", async () => {
    await api.request('POST', '/webhooks/subscriptions', {
      key: intruder.key,
      body: { url: `https://${PUBLIC_HOST}/mine`, events: ['*'] },
    });
    for (const query of ['', '?isActive=true', '?event=*', '?event=CONVERSATION_CREATED&limit=100']) {
      const ids = (await api.request('GET', `/webhooks/subscriptions${query}`, { key: intruder.key })).body.data.map(
        (s: { id: string }) => s.id,
      );
      expect(ids).toHaveLength(1);
      expect(ids).not.toContain(ownedId);
    }
  });

  it("does not let a cursor from one account reveal another account's rows", async () => {
    const page = await api.request('GET', '/webhooks/subscriptions?limit=1', { key: intruder.key });
    const forged = Buffer.from(`2100-01-01T00:00:00.000000Z|${ownedId}`).toString('base64url');
    const res = await api.request('GET', `/webhooks/subscriptions?cursor=${forged}`, { key: intruder.key });
    expect(res.status).toBe(200);
    expect(res.body.data.map((s: { id: string }) => s.id)).toEqual(page.body.data.map((s: { id: string }) => s.id));
  });
});
