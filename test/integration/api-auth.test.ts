import { ApiHarness, manualClock, startApiHarness } from '../helpers/api-harness';

describe('API key authentication and the per-key rate limit', () => {
  const clock = manualClock(Date.UTC(2030, 5, 1, 10, 0, 0));
  const LIMIT = 5;
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness({ env: { API_RATE_LIMIT_PER_MINUTE: String(LIMIT) }, now: clock.now });
  });
  afterAll(() => api.close());

  const expectUnauthorized = (res: { status: number; body: any; headers: Headers }) => {
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.body.error.details).toEqual([]);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  };

  it.each([
    ['no Authorization header', {}],
    ['a non-Bearer scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a malformed key', { authorization: 'Bearer not-a-key' }],
    ['an unknown key of the right shape', { authorization: `Bearer whk_0123456789abcdef_${'A'.repeat(43)}` }],
  ])('answers 401 to %s on every /webhooks route', async (_case, headers) => {
    for (const [method, path] of [
      ['GET', '/webhooks/subscriptions'],
      ['POST', '/webhooks/subscriptions'],
      ['GET', '/webhooks/event-types'],
      ['DELETE', '/webhooks/subscriptions/00000000-0000-4000-8000-000000000000'],
    ]) {
      expectUnauthorized(await api.request(method, path, { headers }));
    }
  });

  it('answers 401 to a known key id with a wrong secret part', async () => {
    const { key } = await api.newAccount();
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expectUnauthorized(await api.request('GET', '/webhooks/subscriptions', { key: tampered }));
  });

  it('checks the key before reading the body: an unauthenticated malformed body answers 401', async () => {
    expectUnauthorized(await api.request('POST', '/webhooks/subscriptions', { rawBody: '{oops' }));
  });

  it('refuses a revoked key with 401', async () => {
    const { key, keyId } = await api.newAccount();
    expect((await api.request('GET', '/webhooks/subscriptions', { key })).status).toBe(200);
    expect(await api.keys.revoke(keyId)).toBe(true);
    expectUnauthorized(await api.request('GET', '/webhooks/subscriptions', { key }));
    expect(await api.keys.revoke(keyId)).toBe(false);
  });

  it('serves health without a key', async () => {
    expect((await api.request('GET', '/healthz')).status).toBe(200);
    expect((await api.request('GET', '/readyz')).status).toBe(200);
  });

  it('records lastUsedAt at most once a minute', async () => {
    const { key, keyId } = await api.newAccount();
    const lastUsed = async () =>
      (await api.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]))[0].last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    clock.advance(60_000);
    const first = clock.now();
    await api.request('GET', '/webhooks/event-types', { key });
    expect(await lastUsed()).toEqual(first);
    clock.advance(30_000);
    await api.request('GET', '/webhooks/event-types', { key });
    expect(await lastUsed()).toEqual(first);
    clock.advance(30_000);
    await api.request('GET', '/webhooks/event-types', { key });
    expect(await lastUsed()).toEqual(clock.now());
  });

  it('answers 429 with Retry-After once a key used its requests of the minute, and serves it again in the next window', async () => {
    clock.advance(60_000 - (clock.now().getTime() % 60_000) + 15_000); // 15 s into a fresh window
    const limited = await api.newAccount();
    const other = await api.newAccount();
    for (let i = 0; i < LIMIT; i++) {
      const ok = await api.request('GET', '/webhooks/subscriptions', { key: limited.key });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(LIMIT - i - 1));
    }
    const refused = await api.request('GET', '/webhooks/subscriptions', { key: limited.key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('45');
    expect(refused.body.error.code).toBe('rate_limited');

    expect((await api.request('GET', '/webhooks/subscriptions', { key: other.key })).status).toBe(200);

    clock.advance(44_000);
    expect((await api.request('GET', '/webhooks/subscriptions', { key: limited.key })).headers.get('retry-after')).toBe('1');
    clock.advance(1_000);
    expect((await api.request('GET', '/webhooks/subscriptions', { key: limited.key })).status).toBe(200);
  });
});
