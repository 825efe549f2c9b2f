/**
 * Hostile input, one example per failure seen: every answer is a 4xx in the error shape, never a 5xx, and nothing
 * is written. The property tests (api-fuzz.test.ts) cover the same ground with generated input.
 */
import { gzipSync } from 'node:zlib';
import { encodeCursor } from '../../src/api/cursor';
import { ApiHarness, countSubscriptions, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

const errorShape = (code: string) => ({ error: { code, message: expect.any(String), details: expect.any(Array) } });
const fieldsOf = (body: { error: { details: Array<{ field?: string }> } }) => body.error.details.map((d) => d.field);

describe('hostile input to the API', () => {
  let api: ApiHarness;
  let account: { accountId: string; key: string };
  let subscriptionId: string;
  const validUrl = `https://${PUBLIC_HOST}/hook`;

  const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    }).then(async (res) => ({ status: res.status, headers: res.headers, body: JSON.parse(await res.text()) }));

  beforeAll(async () => {
    api = await startApiHarness({ deliveries: true });
    account = await api.newAccount('hostile');
    const created = await api.request('POST', '/webhooks/subscriptions', {
      key: account.key,
      body: { url: validUrl, events: ['*'], description: 'kept' },
    });
    subscriptionId = created.body.id;
  });
  afterAll(() => api.close());

  describe('text fields', () => {
    it.each([
      ['NUL', 'a\u0000b'],
      ['a tab', 'a\tb'],
      ['a newline', 'line one\nline two'],
      ['a carriage return', 'a\rb'],
      ['DEL', 'a\u007fb'],
      ['a C1 control (NEL)', 'a\u0085b'],
      ['a lone surrogate', 'a\ud800b'],
    ])('refuses a description with %s: 400 validation_failed naming description, nothing written', async (_case, description) => {
      const before = await countSubscriptions(api.dataSource, account.accountId);
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: validUrl, events: ['*'], description },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape('validation_failed'));
      expect(fieldsOf(res.body)).toEqual(['description']);
      expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);

      const patched = await api.request('PATCH', `/webhooks/subscriptions/${subscriptionId}`, { key: account.key, body: { description } });
      expect(patched.status).toBe(400);
      expect(fieldsOf(patched.body)).toEqual(['description']);
      expect((await api.request('GET', `/webhooks/subscriptions/${subscriptionId}`, { key: account.key })).body.description).toBe('kept');
    });

    it('counts lengths in code points: 500 emoji (1000 UTF-16 units) fit a 500-character description, 501 do not', async () => {
      const fits = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: validUrl, events: ['*'], description: '😀'.repeat(500) },
      });
      expect(fits.status).toBe(201);
      expect(fits.body.description).toBe('😀'.repeat(500));
      const over = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: validUrl, events: ['*'], description: '😀'.repeat(501) },
      });
      expect(over.status).toBe(400);
      expect(fieldsOf(over.body)).toEqual(['description']);
    });

    it('keeps other Unicode as sent (accents, CJK, right-to-left)', async () => {
      const description = 'Crème brûlée – 日本語 – עברית';
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: validUrl, events: ['*'], description },
      });
      expect(res.status).toBe(201);
      expect((await api.request('GET', `/webhooks/subscriptions/${res.body.id}`, { key: account.key })).body.description).toBe(description);
    });
  });

  describe('URLs', () => {
    it.each([
      ['a leading space', ` ${validUrl}`],
      ['a trailing space', `${validUrl} `],
      ['a trailing newline', `${validUrl}\n`],
      ['a leading tab', `\t${validUrl}`],
      ['a tab inside the host', `https://hooks.exa\tmple.com/hook`],
      ['a newline inside the path', `${validUrl}/a\nb`],
      ['a carriage return inside the host', `https://hooks.example.com\r/hook`],
      ['NUL', `${validUrl}\u0000`],
      ['a leading C0 control', `\u0001${validUrl}`],
      ['DEL', `${validUrl}\u007f`],
      ['a no-break space', `${validUrl}\u00a0`],
      ['an ideographic space in the path', `${validUrl}/a\u3000b`],
      ['a zero-width no-break space (BOM) in front', `\ufeff${validUrl}`],
      ['a backslash the parser would turn into a slash', `https://hooks.example.com\\hook`],
      ['a lone surrogate', `${validUrl}/\ud800`],
    ])('refuses a URL with %s (400 validation_failed on url, never normalised), on create and on PATCH', async (_case, url) => {
      const before = await countSubscriptions(api.dataSource, account.accountId);
      const res = await api.request('POST', '/webhooks/subscriptions', { key: account.key, body: { url, events: ['*'] } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape('validation_failed'));
      expect(fieldsOf(res.body)).toEqual(['url']);
      expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
      const patched = await api.request('PATCH', `/webhooks/subscriptions/${subscriptionId}`, { key: account.key, body: { url } });
      expect(patched.status).toBe(400);
      expect(fieldsOf(patched.body)).toEqual(['url']);
      expect((await api.request('GET', `/webhooks/subscriptions/${subscriptionId}`, { key: account.key })).body.url).toBe(validUrl);
    });

    it('names the category of a refused target, never the private address its host name resolved to', async () => {
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        body: { url: 'https://internal.example.com/x', events: ['*'] },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('target_not_allowed');
      expect(res.body.error.message).toContain('private');
      expect(res.body.error.details).toEqual([{ field: 'url', message: expect.stringContaining('private') }]);
      expect(res.text).not.toContain('10.0.0.5');
    });
  });

  describe('list cursors and query parameters', () => {
    const impossible = (createdAt: string) => encodeCursor({ createdAt, id: '3f1c2f9e-6a0b-4c1d-9e2f-0123456789ab' });

    it.each([
      '2026-13-45T25:61:61Z',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '0000-01-01T00:00:00Z',
    ])('answers 400 naming cursor for a cursor holding the impossible date %s, on both lists', async (createdAt) => {
      for (const path of ['/webhooks/subscriptions', `/webhooks/subscriptions/${subscriptionId}/deliveries`]) {
        const res = await api.request('GET', `${path}?cursor=${impossible(createdAt)}`, { key: account.key });
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.body).toEqual(errorShape('validation_failed'));
        expect(fieldsOf(res.body)).toContain('cursor');
      }
    });

    it('accepts a cursor on a real leap day', async () => {
      const res = await api.request('GET', `/webhooks/subscriptions?cursor=${impossible('2028-02-29T23:59:59.999999Z')}`, {
        key: account.key,
      });
      expect(res.status).toBe(200);
    });

    it.each([
      ['limit[]=1&limit=2', 'limit[]'],
      ['limit=1&limit=2', 'limit'],
      ['limit=99999999999999999999999999999', 'limit'],
      ['limit=1e3', 'limit'],
      ['limit[a][b]=1', 'limit[a][b]'],
      ['cursor=a&cursor=b', 'cursor'],
      ['event=%00', 'event'],
      ['isActive=%E0%A4%A', 'isActive'],
      ['__proto__=1', '__proto__'],
      ['constructor=1', 'constructor'],
    ])('answers 400 naming the parameter for ?%s', async (query, field) => {
      const res = await api.request('GET', `/webhooks/subscriptions?${query}`, { key: account.key });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape('validation_failed'));
      expect(fieldsOf(res.body)).toContain(field);
    });
  });

  describe('path ids', () => {
    it.each([
      ['GET', '/webhooks/subscriptions/%E0%A4%A'],
      ['PATCH', '/webhooks/subscriptions/%E0%A4%A'],
      ['DELETE', '/webhooks/subscriptions/%E0%A4%A'],
      ['POST', '/webhooks/subscriptions/%E0%A4%A/secret/rotate'],
      ['GET', '/webhooks/subscriptions/%E0%A4%A/deliveries'],
      ['POST', '/webhooks/subscriptions/%E0%A4%A/test'],
      ['POST', '/webhooks/subscriptions/%E0%A4%A/recover'],
      ['GET', '/webhooks/deliveries/%E0%A4%A'],
      ['POST', '/webhooks/deliveries/%E0%A4%A/retry'],
      ['DELETE', '/webhooks/portal-sessions/%E0%A4%A'],
      ['GET', '/webhooks/deliveries/%FF'],
      ['GET', '/webhooks/subscriptions/%'],
      ['GET', '/portal/api/subscriptions/%E0%A4%A'],
      ['GET', '/portal/assets/%E0%A4%A'],
    ])('answers %s %s (broken percent-encoding) with 400 naming the path', async (method, path) => {
      const res = await api.request(method, path, { key: account.key });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape('validation_failed'));
      expect(fieldsOf(res.body)).toEqual(['path']);
    });

    it.each([
      '/webhooks/subscriptions/%00',
      `/webhooks/subscriptions/${'a'.repeat(5000)}`,
      '/webhooks/deliveries/%F0%9F%98%80',
      '/webhooks/portal-sessions/%00',
    ])('answers 404 for the well-encoded but impossible id %s', async (path) => {
      const method = path.startsWith('/webhooks/portal-sessions') ? 'DELETE' : 'GET';
      const res = await api.request(method, path, { key: account.key });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorShape('not_found'));
    });
  });

  describe('bodies', () => {
    const createBody = JSON.stringify({ url: validUrl, events: ['*'] });

    it('answers 400 for a gzip or deflate body that is not gzip or deflate, and writes nothing', async () => {
      const before = await countSubscriptions(api.dataSource, account.accountId);
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await post('/webhooks/subscriptions', createBody, { 'content-encoding': encoding });
        expect({ encoding, status: res.status }).toEqual({ encoding, status: 400 });
        expect(res.body).toEqual(errorShape('validation_failed'));
        expect(fieldsOf(res.body)).toEqual(['Content-Encoding']);
      }
      // A truncated gzip stream too.
      const truncated = gzipSync(createBody).subarray(0, 12);
      expect((await post('/webhooks/subscriptions', truncated, { 'content-encoding': 'gzip' })).status).toBe(400);
      expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
    });

    it('reads a real gzip body', async () => {
      const res = await post('/webhooks/subscriptions', gzipSync(createBody), { 'content-encoding': 'gzip' });
      expect(res.status).toBe(201);
    });

    it('answers 413 for a gzip body that inflates past 64 kB (a small bomb)', async () => {
      const bomb = gzipSync(JSON.stringify({ url: validUrl, events: ['*'], description: ' '.repeat(10_000_000) }));
      expect(bomb.length).toBeLessThan(64 * 1024);
      const res = await post('/webhooks/subscriptions', bomb, { 'content-encoding': 'gzip' });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorShape('payload_too_large'));
    });

    it.each([['compress'], ['zstd-nope'], ['gzip, gzip'], ['x\u00e9']])(
      'answers 415 unsupported_media_type for Content-Encoding %j',
      async (encoding) => {
        const res = await post('/webhooks/subscriptions', createBody, {
          'content-encoding': Buffer.from(encoding, 'utf8').toString('latin1'),
        });
        expect(res.status).toBe(415);
        expect(res.body).toEqual(errorShape('unsupported_media_type'));
      },
    );

    it('answers 415 for a charset other than UTF-8', async () => {
      const res = await post('/webhooks/subscriptions', createBody, { 'content-type': 'application/json; charset=koi8-r' });
      expect(res.status).toBe(415);
      expect(res.body).toEqual(errorShape('unsupported_media_type'));
    });

    it.each<[string, string | Buffer]>([
      ['a JSON array', '[]'],
      ['a JSON string', '"x"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['JSON true', 'true'],
      ['10 000 nested arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['10 000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
      ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x75, 0x72, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d])],
      ['a UTF-8 BOM then JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"x":1}')])],
      ['a lone surrogate escape in a key', '{"\\ud800":1}'],
      ['a __proto__ key', `{"__proto__":{"isActive":false},"url":"${validUrl}","events":["*"]}`],
      ['a constructor key', `{"constructor":{"prototype":{}},"url":"${validUrl}","events":["*"]}`],
    ])('answers 4xx in the error shape for %s, on every route with a body', async (_case, body) => {
      const before = await countSubscriptions(api.dataSource, account.accountId);
      for (const path of [
        '/webhooks/subscriptions',
        `/webhooks/subscriptions/${subscriptionId}/secret/rotate`,
        `/webhooks/subscriptions/${subscriptionId}/test`,
        `/webhooks/subscriptions/${subscriptionId}/recover`,
        '/webhooks/portal-sessions',
      ]) {
        const res = await post(path, body);
        expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.body).toEqual(errorShape(expect.any(String)));
      }
      expect(await countSubscriptions(api.dataSource, account.accountId)).toBe(before);
    });

    it('names a __proto__ key as an unknown field rather than reading it as the prototype', async () => {
      const res = await post('/webhooks/subscriptions', `{"__proto__":{"x":1},"url":"${validUrl}","events":["*"]}`);
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['__proto__']);
    });

    it('answers 400 for a body that is not JSON (text/plain), not 5xx', async () => {
      const res = await post('/webhooks/subscriptions', createBody, { 'content-type': 'text/plain' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape('validation_failed'));
    });

    it('answers 400 for a recover window with an impossible date', async () => {
      const res = await post(`/webhooks/subscriptions/${subscriptionId}/recover`, JSON.stringify({ since: '2026-13-45T25:61:61Z' }));
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toContain('since');
    });
  });

  describe('Cache-Control: no-store', () => {
    it('is sent with a created subscription (its secret), a rotated secret and a portal link (its token)', async () => {
      const created = await api.request('POST', '/webhooks/subscriptions', { key: account.key, body: { url: validUrl, events: ['*'] } });
      expect(created.body.secret).toMatch(/^whsec_/);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const rotated = await api.request('POST', `/webhooks/subscriptions/${created.body.id}/secret/rotate`, { key: account.key, body: {} });
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.headers.get('cache-control')).toBe('no-store');
      const session = await api.request('POST', '/webhooks/portal-sessions', { key: account.key, body: {} });
      expect(session.body.url).toContain('#token=');
      expect(session.headers.get('cache-control')).toBe('no-store');
    });

    it('is sent with every other answer of the account API too, errors included', async () => {
      for (const [method, path, key] of [
        ['GET', '/webhooks/subscriptions', account.key],
        ['GET', `/webhooks/subscriptions/${subscriptionId}`, account.key],
        ['GET', '/webhooks/subscriptions/00000000-0000-4000-8000-000000000000', account.key],
        ['GET', '/webhooks/subscriptions', null],
      ] as const) {
        const res = await api.request(method, path, { key });
        expect({ path, cacheControl: res.headers.get('cache-control') }).toEqual({ path, cacheControl: 'no-store' });
      }
    });
  });
});
