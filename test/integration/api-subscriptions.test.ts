import { ApiHarness, countSubscriptions, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{43}=$/;

describe('subscriptions API', () => {
  let api: ApiHarness;
  let account: { accountId: string; key: string };

  beforeAll(async () => {
    api = await startApiHarness();
    account = await api.newAccount();
  });
  afterAll(() => api.close());

  const create = (body: unknown, key = account.key) => api.request('POST', '/webhooks/subscriptions', { key, body });

  it('creates a subscription and answers 201 with a whsec_ secret of 32 random bytes', async () => {
    const res = await create({ url: `https://${PUBLIC_HOST}/hooks`, events: ['NEW_MESSAGE_FROM_VISITOR'], description: 'chat' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: `https://${PUBLIC_HOST}/hooks`,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
      description: 'chat',
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
      secret: expect.stringMatching(SECRET_SHAPE),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Buffer.from(res.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(res.headers.get('location')).toBe(`/webhooks/subscriptions/${res.body.id}`);
  });

  it('never shows the secret again on GET, list or PATCH', async () => {
    const created = await create({ url: 'http://127.0.0.1:9/receiver', events: ['*'] });
    const secret: string = created.body.secret;
    const reads = [
      await api.request('GET', `/webhooks/subscriptions/${created.body.id}`, { key: account.key }),
      await api.request('GET', '/webhooks/subscriptions?limit=100', { key: account.key }),
      await api.request('PATCH', `/webhooks/subscriptions/${created.body.id}`, { key: account.key, body: { description: 'x' } }),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(secret);
      expect(read.text).not.toContain('whsec_');
      expect(read.text).not.toContain('ciphertext');
    }
    expect(reads[0].body).not.toHaveProperty('secret');
  });

  it('round-trips rateLimitPerSecond on create, read and update, null meaning no limit', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/limited`, events: ['*'], rateLimitPerSecond: 5 });
    expect(created.status).toBe(201);
    expect(created.body.rateLimitPerSecond).toBe(5);
    const path = `/webhooks/subscriptions/${created.body.id}`;
    expect((await api.request('GET', path, { key: account.key })).body.rateLimitPerSecond).toBe(5);
    const raised = await api.request('PATCH', path, { key: account.key, body: { rateLimitPerSecond: 10000 } });
    expect(raised.body.rateLimitPerSecond).toBe(10000);
    const cleared = await api.request('PATCH', path, { key: account.key, body: { rateLimitPerSecond: null } });
    expect(cleared.body.rateLimitPerSecond).toBeNull();
    expect((await api.request('GET', path, { key: account.key })).body.rateLimitPerSecond).toBeNull();
  });

  it('round-trips ordered on create, read, list and update, false by default', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/ordered`, events: ['*'], ordered: true });
    expect(created.status).toBe(201);
    expect(created.body.ordered).toBe(true);
    const path = `/webhooks/subscriptions/${created.body.id}`;
    expect((await api.request('GET', path, { key: account.key })).body.ordered).toBe(true);
    const listed = await api.request('GET', '/webhooks/subscriptions?limit=100', { key: account.key });
    expect(listed.body.data.find((s: { id: string }) => s.id === created.body.id).ordered).toBe(true);
    const unordered = await api.request('PATCH', path, { key: account.key, body: { ordered: false } });
    expect(unordered.status).toBe(200);
    expect(unordered.body.ordered).toBe(false);
    expect((await api.request('GET', path, { key: account.key })).body.ordered).toBe(false);
  });

  it('clears disabledReason and disabledAt when the subscription is switched back on', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/gone`, events: ['*'] });
    const path = `/webhooks/subscriptions/${created.body.id}`;
    await api.dataSource.query(
      `UPDATE webhook_subscriptions SET is_active = false, disabled_reason = 'gone', disabled_at = now() WHERE id = $1`,
      [created.body.id],
    );
    const off = await api.request('GET', path, { key: account.key });
    expect(off.body).toMatchObject({ isActive: false, disabledReason: 'gone', disabledAt: expect.any(String) });
    const described = await api.request('PATCH', path, { key: account.key, body: { description: 'still off' } });
    expect(described.body).toMatchObject({ isActive: false, disabledReason: 'gone' });
    const on = await api.request('PATCH', path, { key: account.key, body: { isActive: true } });
    expect(on.body).toMatchObject({ isActive: true, disabledReason: null, disabledAt: null });
    expect((await api.request('GET', path, { key: account.key })).body).toMatchObject({ disabledReason: null, disabledAt: null });
  });

  it('round-trips isActive false on create, read and update', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/off`, events: ['CONVERSATION_CREATED'], isActive: false });
    expect(created.body.isActive).toBe(false);
    const read = await api.request('GET', `/webhooks/subscriptions/${created.body.id}`, { key: account.key });
    expect(read.body.isActive).toBe(false);
    const on = await api.request('PATCH', `/webhooks/subscriptions/${created.body.id}`, { key: account.key, body: { isActive: true } });
    expect(on.body.isActive).toBe(true);
    const off = await api.request('PATCH', `/webhooks/subscriptions/${created.body.id}`, { key: account.key, body: { isActive: false } });
    expect(off.body.isActive).toBe(false);
    expect((await api.request('GET', `/webhooks/subscriptions/${created.body.id}`, { key: account.key })).body.isActive).toBe(false);
  });

  it('updates url, events and description with PATCH and moves updatedAt', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/a`, events: ['CONVERSATION_CREATED'], description: 'before' });
    const res = await api.request('PATCH', `/webhooks/subscriptions/${created.body.id}`, {
      key: account.key,
      body: { url: `https://${PUBLIC_HOST}/b`, events: ['CONVERSATION_CLOSED', 'CONVERSATION_CLOSED', '*'], description: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: `https://${PUBLIC_HOST}/b`, events: ['CONVERSATION_CLOSED', '*'], description: null });
    expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.body.updatedAt).getTime());
    expect(res.body.createdAt).toBe(created.body.createdAt);
  });

  it('deletes with 204, after which the id answers 404 everywhere', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/gone`, events: ['*'] });
    const path = `/webhooks/subscriptions/${created.body.id}`;
    expect((await api.request('DELETE', path, { key: account.key })).status).toBe(204);
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { isActive: false }],
      ['DELETE', '', undefined],
      ['POST', '/secret/rotate', {}],
    ] as const) {
      const res = await api.request(method, `${path}${suffix}`, { key: account.key, body });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('answers 404 in the error shape for an id that is not a uuid and for unknown routes', async () => {
    const bad = await api.request('GET', '/webhooks/subscriptions/not-a-uuid', { key: account.key });
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: [] } });
    expect((await api.request('GET', '/webhooks/nothing-here', { key: account.key })).status).toBe(404);
  });

  it('lists the event catalog with the wildcard', async () => {
    const res = await api.request('GET', '/webhooks/event-types', { key: account.key });
    expect(res.status).toBe(200);
    const types = res.body.data.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED']));
    expect(res.body.data.every((e: { description: string }) => e.description.length > 0)).toBe(true);
    expect(res.body.wildcard.type).toBe('*');
  });

  it('refuses a private or loopback target with 400 target_not_allowed and the reason, writing nothing', async () => {
    const before = await countSubscriptions(api.dataSource, account.accountId);
    for (const url of [
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://internal.example.com/x',
      'http://localhost:8080/',
    ]) {
      const res = await create({ url, events: ['*'] });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('target_not_allowed');
      expect(res.body.error.details[0]).toEqual({ field: 'url', message: expect.any(String) });
    }
    // A host name that resolves to a private address: the category is named, the address it resolved to never is.
    const internal = await create({ url: 'http://internal.example.com/x', events: ['*'] });
    expect(internal.body.error.message).toContain('private');
    expect(internal.text).not.toContain('10.0.0.5');
    expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
  });

  it('refuses a 6to4 target (2002::/16) even when the IPv4 it carries is public, writing nothing', async () => {
    const before = await countSubscriptions(api.dataSource, account.accountId);
    for (const url of ['https://[2002:808:808::1]/hook', 'http://[2002:a00:1::1]/hook']) {
      const res = await create({ url, events: ['*'] });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('target_not_allowed');
      expect(res.body.error.message).toContain('6to4');
    }
    expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
  });

  it('refuses a blocked URL on PATCH and keeps the old one', async () => {
    const created = await create({ url: `https://${PUBLIC_HOST}/keep`, events: ['*'] });
    const res = await api.request('PATCH', `/webhooks/subscriptions/${created.body.id}`, {
      key: account.key,
      body: { url: 'http://192.168.1.10/steal' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('target_not_allowed');
    const read = await api.request('GET', `/webhooks/subscriptions/${created.body.id}`, { key: account.key });
    expect(read.body.url).toBe(`https://${PUBLIC_HOST}/keep`);
  });
});
