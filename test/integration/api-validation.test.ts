import { ApiHarness, countSubscriptions, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('subscriptions API input validation', () => {
  let api: ApiHarness;
  let account: { accountId: string; key: string };
  let existingId: string;

  beforeAll(async () => {
    api = await startApiHarness();
    account = await api.newAccount();
    const created = await api.request('POST', '/webhooks/subscriptions', {
      key: account.key,
      body: { url: `https://${PUBLIC_HOST}/v`, events: ['CONVERSATION_CREATED'], description: 'kept' },
    });
    existingId = created.body.id;
  });
  afterAll(() => api.close());

  const validUrl = `https://${PUBLIC_HOST}/hook`;
  const invalidCreates: Array<[string, unknown, string[]]> = [
    ['a missing url', { events: ['*'] }, ['url']],
    ['a url of the wrong type', { url: 42, events: ['*'] }, ['url']],
    ['a url that is not absolute', { url: '/relative', events: ['*'] }, ['url']],
    ['a non-http scheme', { url: 'ftp://example.com/x', events: ['*'] }, ['url']],
    ['a url longer than 2048 characters', { url: `${validUrl}?q=${'a'.repeat(2048)}`, events: ['*'] }, ['url']],
    ['events of the wrong type', { url: validUrl, events: 'NEW_MESSAGE_FROM_VISITOR' }, ['events']],
    ['an empty events list', { url: validUrl, events: [] }, ['events']],
    ['more than 50 events', { url: validUrl, events: Array(51).fill('*') }, ['events']],
    ['an unknown event type', { url: validUrl, events: ['CONVERSATION_CREATED', 'NO_SUCH_EVENT'] }, ['events.1']],
    ['a lower-case event type', { url: validUrl, events: ['conversation_created'] }, ['events.0']],
    ['a description over 500 characters', { url: validUrl, events: ['*'], description: 'd'.repeat(501) }, ['description']],
    ['isActive of the wrong type', { url: validUrl, events: ['*'], isActive: 'false' }, ['isActive']],
    ['a rateLimitPerSecond of 0', { url: validUrl, events: ['*'], rateLimitPerSecond: 0 }, ['rateLimitPerSecond']],
    ['a fractional rateLimitPerSecond', { url: validUrl, events: ['*'], rateLimitPerSecond: 2.5 }, ['rateLimitPerSecond']],
    ['a rateLimitPerSecond over 10000', { url: validUrl, events: ['*'], rateLimitPerSecond: 10001 }, ['rateLimitPerSecond']],
    ['a rateLimitPerSecond of the wrong type', { url: validUrl, events: ['*'], rateLimitPerSecond: '5' }, ['rateLimitPerSecond']],
    ['ordered as a string', { url: validUrl, events: ['*'], ordered: 'true' }, ['ordered']],
    ['ordered as a number', { url: validUrl, events: ['*'], ordered: 1 }, ['ordered']],
    ['ordered null', { url: validUrl, events: ['*'], ordered: null }, ['ordered']],
    ['a client-set disabledReason', { url: validUrl, events: ['*'], disabledReason: null }, ['disabledReason']],
    [
      'client-set health fields',
      { url: validUrl, events: ['*'], failingSince: null, consecutiveFailures: 0 },
      ['failingSince', 'consecutiveFailures'],
    ],
    ['unknown fields', { url: validUrl, events: ['*'], secret: 'whsec_mine', accountId: 'other' }, ['secret', 'accountId']],
    ['a JSON array instead of an object', [{ url: validUrl, events: ['*'] }], []],
    ['several problems at once', { url: 'nope', events: ['BAD'], extra: 1 }, ['url', 'events.0', 'extra']],
  ];

  it.each(invalidCreates)(
    'refuses a create with %s: 400 validation_failed naming the fields, nothing written',
    async (_case, body, fields) => {
      const before = await countSubscriptions(api.dataSource, account.accountId);
      const res = await api.request('POST', '/webhooks/subscriptions', { key: account.key, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.length).toBeGreaterThan(0);
      expect(res.body.error.details.map((d: { field?: string }) => d.field)).toEqual(expect.arrayContaining(fields));
      expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
    },
  );

  it('names the catalog in the message for an unknown event type', async () => {
    const res = await api.request('POST', '/webhooks/subscriptions', { key: account.key, body: { url: validUrl, events: ['NOPE'] } });
    expect(res.body.error.details[0].message).toContain('NEW_MESSAGE_FROM_VISITOR');
  });

  it('refuses malformed JSON with 400 and writes nothing', async () => {
    const before = await countSubscriptions(api.dataSource, account.accountId);
    const res = await api.request('POST', '/webhooks/subscriptions', { key: account.key, rawBody: '{"url": "https://x", "events": [' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'validation_failed', message: 'request body is not valid JSON', details: [{ message: 'malformed JSON' }] },
    });
    expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
  });

  it('refuses a body that is not JSON at all (no content type) with 400', async () => {
    const res = await api.request('POST', '/webhooks/subscriptions', {
      key: account.key,
      rawBody: 'url=https://x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('answers 413 for a body over 64 kB and writes nothing', async () => {
    const before = await countSubscriptions(api.dataSource, account.accountId);
    const res = await api.request('POST', '/webhooks/subscriptions', {
      key: account.key,
      body: { url: validUrl, events: ['*'], description: 'x'.repeat(70 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
  });

  it.each<[string, unknown, string]>([
    ['an empty patch', {}, ''],
    ['an unknown field', { accountId: 'someone-else' }, 'accountId'],
    ['a url of the wrong type', { url: ['https://x'] }, 'url'],
    ['an unknown event type', { events: ['NOPE'] }, 'events.0'],
    ['isActive as a string', { isActive: 'true' }, 'isActive'],
    ['ordered as a string', { ordered: 'yes' }, 'ordered'],
    ['ordered as an object', { ordered: { on: true } }, 'ordered'],
    ['a secret', { secret: 'whsec_AAAA' }, 'secret'],
  ])('refuses a PATCH with %s and leaves the row unchanged', async (_case, body, field) => {
    const res = await api.request('PATCH', `/webhooks/subscriptions/${existingId}`, { key: account.key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    if (field) expect(res.body.error.details.map((d: { field?: string }) => d.field)).toContain(field);
    const read = await api.request('GET', `/webhooks/subscriptions/${existingId}`, { key: account.key });
    expect(read.body).toMatchObject({
      url: `https://${PUBLIC_HOST}/v`,
      events: ['CONVERSATION_CREATED'],
      description: 'kept',
      isActive: true,
    });
  });

  it.each<[string, unknown]>([
    ['a negative graceSeconds', { graceSeconds: -1 }],
    ['a graceSeconds over 7 days', { graceSeconds: 7 * 86400 + 1 }],
    ['a fractional graceSeconds', { graceSeconds: 1.5 }],
    ['a graceSeconds string', { graceSeconds: '60' }],
    ['an unknown field', { grace: 60 }],
  ])('refuses a rotation with %s and keeps the secrets as they were', async (_case, body) => {
    const [before] = await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [existingId]);
    const res = await api.request('POST', `/webhooks/subscriptions/${existingId}/secret/rotate`, { key: account.key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const [after] = await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [existingId]);
    expect(after.secrets).toEqual(before.secrets);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['isActive=yes', 'isActive'],
    ['event=NOPE', 'event'],
    ['cursor=not-a-cursor', 'cursor'],
    ['sort=desc', 'sort'],
  ])('refuses a list query with %s naming %s', async (query, field) => {
    const res = await api.request('GET', `/webhooks/subscriptions?${query}`, { key: account.key });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { field?: string }) => d.field)).toContain(field);
  });
});
