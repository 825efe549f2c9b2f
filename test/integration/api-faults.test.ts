import { ApiHarness, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('API faults', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness();
  });
  afterAll(() => api.close());

  it('answers 500 internal_error without internals when the database is gone, and keeps serving health', async () => {
    const { key } = await api.newAccount();
    await api.dataSource.destroy();
    for (const [method, path, body] of [
      ['GET', '/webhooks/subscriptions', undefined],
      ['POST', '/webhooks/subscriptions', { url: `https://${PUBLIC_HOST}/x`, events: ['*'] }],
    ] as const) {
      const res = await api.request(method, path, { key, body });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { code: 'internal_error', message: 'internal server error', details: [] } });
      expect(res.text).not.toMatch(/postgres|typeorm|Connection|stack|\.ts/i);
    }
    expect((await api.request('GET', '/healthz')).status).toBe(200);
  });
});
