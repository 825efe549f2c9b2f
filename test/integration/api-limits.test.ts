/**
 * Bounds (docs/limits.md) on the real app with small values: subscriptions per account, live signing secrets per
 * subscription, live portal sessions per account, and the rate limit that portal-session minting and revocation
 * count against, shared by every portal session of an account.
 */
import { ApiHarness, countSubscriptions, manualClock, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

const limitReached = { error: { code: 'limit_reached', message: expect.any(String), details: [{ message: expect.any(String) }] } };
const tokenOf = (url: string) => decodeURIComponent(new URL(url).hash.replace(/^#token=/, ''));

describe('bounds per account and per subscription', () => {
  // Start just after a minute boundary so that each test's rate-limit window is its own (the clock moves a minute).
  const clock = manualClock(Date.UTC(2030, 0, 1, 12, 0, 1));
  let api: ApiHarness;
  const url = `https://${PUBLIC_HOST}/bounded`;

  beforeAll(async () => {
    api = await startApiHarness({
      now: clock.now,
      env: {
        WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '3',
        WEBHOOKS_MAX_LIVE_SECRETS_PER_SUBSCRIPTION: '3',
        WEBHOOKS_MAX_PORTAL_SESSIONS_PER_ACCOUNT: '2',
        API_RATE_LIMIT_PER_MINUTE: '8',
      },
    });
  });
  afterAll(() => api.close());
  beforeEach(() => clock.advance(60_000));

  it('refuses a subscription past the account bound with 409 limit_reached, writes nothing, and accepts one again after a delete', async () => {
    const { accountId, key } = await api.newAccount('bound-subs');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api.request('POST', '/webhooks/subscriptions', { key, body: { url, events: ['*'] } });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const over = await api.request('POST', '/webhooks/subscriptions', { key, body: { url, events: ['*'] } });
    expect(over.status).toBe(409);
    expect(over.body).toEqual(limitReached);
    expect(over.body.error.message).toContain('3 subscriptions per account');
    expect(over.text).not.toContain('whsec_');
    expect(await countSubscriptions(api.dataSource, accountId)).toBe(3);

    // Another account is not affected.
    const other = await api.newAccount('bound-subs-other');
    expect((await api.request('POST', '/webhooks/subscriptions', { key: other.key, body: { url, events: ['*'] } })).status).toBe(201);

    expect((await api.request('DELETE', `/webhooks/subscriptions/${ids[0]}`, { key })).status).toBe(204);
    expect((await api.request('POST', '/webhooks/subscriptions', { key, body: { url, events: ['*'] } })).status).toBe(201);
  });

  it('holds the subscription bound exactly under concurrent creates', async () => {
    const { accountId, key } = await api.newAccount('bound-race');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api.request('POST', '/webhooks/subscriptions', { key, body: { url, events: ['*'] } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    expect(await countSubscriptions(api.dataSource, accountId)).toBe(3);
  });

  it('refuses a rotation that would leave more live secrets than the bound (409, nothing changes); graceSeconds 0 or time passing makes room', async () => {
    const { key } = await api.newAccount('bound-secrets');
    const created = await api.request('POST', '/webhooks/subscriptions', { key, body: { url, events: ['*'] } });
    const id = created.body.id as string;
    const secretsOf = async () => (await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [id]))[0].secrets;
    const rotate = (body: object) => api.request('POST', `/webhooks/subscriptions/${id}/secret/rotate`, { key, body });

    expect((await rotate({ graceSeconds: 600 })).status).toBe(200);
    expect((await rotate({ graceSeconds: 600 })).status).toBe(200);
    expect(await secretsOf()).toHaveLength(3);
    const before = await secretsOf();
    const over = await rotate({ graceSeconds: 600 });
    expect(over.status).toBe(409);
    expect(over.body).toEqual(limitReached);
    expect(over.body.error.message).toContain('3 live signing secrets per subscription');
    expect(over.body.error.message).toContain('graceSeconds 0');
    expect(over.headers.get('cache-control')).toBe('no-store');
    expect(await secretsOf()).toEqual(before);

    // Once the grace periods end, the older secrets stop counting.
    clock.advance(601_000);
    expect((await rotate({ graceSeconds: 600 })).status).toBe(200);
    expect(await secretsOf()).toHaveLength(2);
    expect((await rotate({ graceSeconds: 600 })).status).toBe(200);
    expect((await rotate({ graceSeconds: 600 })).status).toBe(409);
    // An emergency rotation (a leaked secret) is always possible: every previous secret stops signing at once.
    const emergency = await rotate({ graceSeconds: 0 });
    expect(emergency.status).toBe(200);
    expect(await secretsOf()).toHaveLength(1);
  });

  it('refuses a portal session past the live bound; revoked and expired sessions do not count', async () => {
    const { key } = await api.newAccount('bound-portal');
    const mint = (body: object = {}) => api.request('POST', '/webhooks/portal-sessions', { key, body });
    const first = await mint({ expiresInSeconds: 60 });
    expect(first.status).toBe(201);
    const second = await mint();
    expect(second.status).toBe(201);
    const over = await mint();
    expect(over.status).toBe(409);
    expect(over.body).toEqual(limitReached);
    expect(over.body.error.message).toContain('2 live portal sessions per account');
    expect(over.text).not.toContain('whp_');

    expect((await api.request('DELETE', `/webhooks/portal-sessions/${second.body.id}`, { key })).status).toBe(204);
    expect((await mint()).status).toBe(201);
    expect((await mint()).status).toBe(409);
    clock.advance(61_000); // the first one expires
    expect((await mint()).status).toBe(201);
  });

  it("counts portal-session minting and revocation against the API key's rate limit", async () => {
    const { key } = await api.newAccount('bound-rate-mint');
    const minted = await api.request('POST', '/webhooks/portal-sessions', { key, body: {} });
    expect(minted.status).toBe(201);
    expect(minted.headers.get('ratelimit-remaining')).toBe('7');
    expect((await api.request('DELETE', `/webhooks/portal-sessions/${minted.body.id}`, { key })).headers.get('ratelimit-remaining')).toBe(
      '6',
    );
    for (let i = 0; i < 6; i++) expect((await api.request('GET', '/webhooks/subscriptions', { key })).status).toBe(200);
    const refused = await api.request('POST', '/webhooks/portal-sessions', { key, body: {} });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await api.request('DELETE', `/webhooks/portal-sessions/${minted.body.id}`, { key })).status).toBe(429);
  });

  it('gives all portal sessions of an account one rate-limit bucket: a second session gets no fresh budget', async () => {
    const { key } = await api.newAccount('bound-rate-portal');
    const one = tokenOf((await api.request('POST', '/webhooks/portal-sessions', { key, body: {} })).body.url);
    const two = tokenOf((await api.request('POST', '/webhooks/portal-sessions', { key, body: {} })).body.url);
    for (let i = 0; i < 8; i++) {
      const token = i % 2 === 0 ? one : two;
      expect((await api.request('GET', '/portal/api/subscriptions', { key: token })).status).toBe(200);
    }
    expect((await api.request('GET', '/portal/api/subscriptions', { key: one })).status).toBe(429);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: two })).status).toBe(429);

    // Another account's portal has its own bucket.
    const other = await api.newAccount('bound-rate-portal-other');
    const foreign = tokenOf((await api.request('POST', '/webhooks/portal-sessions', { key: other.key, body: {} })).body.url);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: foreign })).status).toBe(200);
    // The next window opens the bucket again.
    clock.advance(60_000);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: one })).status).toBe(200);
  });
});
