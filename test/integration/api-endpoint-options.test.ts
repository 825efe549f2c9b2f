/** Endpoint options through the REST API: filter, custom headers and the ed25519 scheme (validation, storage, answers). */
import { createPublicKey } from 'node:crypto';
import { captureLogs } from '../helpers/engine';
import { ApiHarness, manualClock, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';
import { subscriptionViewSchema } from '../../src/api/responses.schemas';

describe('endpoint options in the API', () => {
  const clock = manualClock();
  const logs = captureLogs('api-options');
  let api: ApiHarness;
  let account: { accountId: string; key: string };
  let other: { accountId: string; key: string };

  beforeAll(async () => {
    api = await startApiHarness({ now: clock.now, logger: logs.logger });
    account = await api.newAccount('options');
    other = await api.newAccount('options-other');
  });
  afterAll(() => api.close());

  const create = (body: Record<string, unknown>, key = account.key) =>
    api.request('POST', '/webhooks/subscriptions', { key, body: { url: `https://${PUBLIC_HOST}/o`, events: ['*'], ...body } });
  const patch = (id: string, body: Record<string, unknown>, key = account.key) =>
    api.request('PATCH', `/webhooks/subscriptions/${id}`, { key, body });
  const read = (id: string, key = account.key) => api.request('GET', `/webhooks/subscriptions/${id}`, { key });

  describe('filter', () => {
    const filter = { 'message.attachments': { $exists: true }, $or: [{ 'visitor.country': 'FR' }, { amount: { $gte: 100 } }] };

    it('round-trips through create, read, list and PATCH (null removes it); absent means null', async () => {
      const created = await create({ filter });
      expect(created.status).toBe(201);
      expect(created.body.filter).toEqual(filter);
      expect(subscriptionViewSchema.safeParse((({ secret: _s, ...v }) => v)(created.body)).success).toBe(true);
      expect((await read(created.body.id)).body.filter).toEqual(filter);
      const list = await api.request('GET', '/webhooks/subscriptions?limit=100', { key: account.key });
      expect(list.body.data.find((s: { id: string }) => s.id === created.body.id).filter).toEqual(filter);
      const changed = await patch(created.body.id, { filter: { tags: 'vip' } });
      expect(changed.status).toBe(200);
      expect(changed.body.filter).toEqual({ tags: 'vip' });
      expect((await patch(created.body.id, { filter: null })).body.filter).toBeNull();
      expect((await create({})).body.filter).toBeNull();
    });

    it.each([
      ['an array', [{ a: 1 }], 'filter'],
      ['a string', 'x', 'filter'],
      ['an unknown operator', { amount: { $regex: '^1' } }, 'filter.amount.$regex'],
      ['a bad operand deep inside', { $or: [{ a: 1 }, { amount: { $gt: true } }] }, 'filter.$or.1.amount.$gt'],
      ['an empty $and', { $and: [] }, 'filter.$and'],
      ['$in that is not an array', { a: { $in: 3 } }, 'filter.a.$in'],
      ['an empty path segment', { 'a..b': 1 }, 'filter.a..b'],
      ['a NUL in a value', { a: 'x\u0000y' }, 'filter.a'],
    ])('refuses %s with 400 validation_failed naming the bad part', async (_what, bad, field) => {
      for (const res of [await create({ filter: bad }), await patch((await create({})).body.id, { filter: bad })]) {
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
        expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
      }
    });

    it('refuses a __proto__ key (which a parser would drop silently) in a filter or in headers, naming it', async () => {
      const target = (await create({})).body.id;
      for (const [part, json] of [
        ['filter.__proto__', '{"__proto__": {"a": 1}, "b": 2}'],
        ['filter.$or.0.__proto__', '{"$or": [{"__proto__": 1}]}'],
      ] as const) {
        for (const [method, path] of [
          ['POST', '/webhooks/subscriptions'],
          ['PATCH', `/webhooks/subscriptions/${target}`],
        ]) {
          const rawBody = `{"url": "https://${PUBLIC_HOST}/o", "events": ["*"], "filter": ${json}}`;
          const res = await api.request(method, path, { key: account.key, rawBody });
          expect(res.status).toBe(400);
          expect(res.body.error.details[0].field).toBe(part);
        }
      }
      const res = await api.request('POST', '/webhooks/subscriptions', {
        key: account.key,
        rawBody: `{"url": "https://${PUBLIC_HOST}/o", "events": ["*"], "headers": {"__proto__": "x"}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe('headers.__proto__');
    });

    it('refuses filters past the bounds (size, depth, conditions)', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 12; i++) deep = { a: deep };
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, i]));
      for (const bad of [{ a: 'x'.repeat(5000) }, deep, many]) {
        const res = await create({ filter: bad });
        expect(res.status).toBe(400);
        expect(res.body.error.details[0].field).toMatch(/^filter/);
      }
    });
  });

  describe('headers', () => {
    const headers = { Authorization: 'Bearer receiver-token-7f3a', 'X-Tenant': 'acme' };

    it('round-trip to the account, stored encrypted (the row holds neither value)', async () => {
      const created = await create({ headers });
      expect(created.status).toBe(201);
      expect(created.body.headers).toEqual(headers);
      expect((await read(created.body.id)).body.headers).toEqual(headers);
      const [row] = await api.dataSource.query('SELECT row_to_json(t)::text AS raw, headers FROM webhook_subscriptions t WHERE id = $1', [
        created.body.id,
      ]);
      expect(row.raw).not.toContain('receiver-token-7f3a');
      expect(row.raw).not.toContain('acme');
      expect(row.headers).toMatch(/^v1:/);
      expect(JSON.parse(api.secretBox.open(row.headers, `${created.body.id}:headers`))).toEqual(headers);
      expect(() => api.secretBox.open(row.headers, created.body.id)).toThrow();
      const changed = await patch(created.body.id, { headers: { 'X-Other': '1' } });
      expect(changed.body.headers).toEqual({ 'X-Other': '1' });
      expect((await patch(created.body.id, { headers: null })).body.headers).toBeNull();
    });

    it("are never shown to another account (404) and never appear in the API's logs", async () => {
      const created = await create({ headers });
      const foreign = await read(created.body.id, other.key);
      expect(foreign.status).toBe(404);
      expect(JSON.stringify(foreign.body)).not.toContain('receiver-token-7f3a');
      const list = await api.request('GET', '/webhooks/subscriptions?limit=100', { key: other.key });
      expect(JSON.stringify(list.body)).not.toContain('receiver-token-7f3a');
      await create({ headers: { Authorization: 'Bearer receiver-token-7f3a', 'Content-Type': 'text/plain' } });
      expect(JSON.stringify(logs.lines())).not.toContain('receiver-token-7f3a');
    });

    it.each([
      'Content-Type',
      'content-length',
      'User-Agent',
      'X-Hub-Signature-256',
      'X-Webhook-Event',
      'x-webhook-anything',
      'webhook-signature',
      'Webhook-Id',
      'Host',
      'Connection',
      'Keep-Alive',
      'Transfer-Encoding',
      'TE',
      'Upgrade',
      'Proxy-Authorization',
      'Trailer',
    ])('refuse the reserved name %s at create and PATCH (400 naming it)', async (name) => {
      const target = (await create({})).body.id;
      for (const res of [await create({ headers: { [name]: 'x' } }), await patch(target, { headers: { [name]: 'x' } })]) {
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
        expect(res.body.error.details[0].field).toBe(`headers.${name}`);
      }
    });

    it.each([
      ['a CR LF in a value', { 'X-A': 'a\r\nX-Injected: 1' }],
      ['a LF in a value', { 'X-A': 'a\nb' }],
      ['a NUL in a value', { 'X-A': 'a\u0000' }],
      ['a non-ASCII value', { 'X-A': 'café' }],
      ['a space in a name', { 'X A': '1' }],
      ['a colon in a name', { 'X-A:': '1' }],
      ['an empty name', { '': '1' }],
      ['a too long name', { ['X'.repeat(65)]: '1' }],
      ['a too long value', { 'X-A': 'v'.repeat(1025) }],
      ['a number value', { 'X-A': 1 }],
      ['names differing only in case', { 'X-A': '1', 'x-a': '2' }],
      ['too many', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, '1']))],
      ['an array', ['X-A']],
    ])('refuse %s (400)', async (_what, bad) => {
      const res = await create({ headers: bad });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details[0].field).toMatch(/^headers/);
    });
  });

  describe('signatureScheme ed25519', () => {
    it('answers publicKey instead of secret at create, shows it on read, and hmac stays the default', async () => {
      const hmac = await create({});
      expect(hmac.body).toMatchObject({ signatureScheme: 'hmac', publicKey: null });
      expect(hmac.body.secret).toMatch(/^whsec_/);
      const created = await create({ signatureScheme: 'ed25519' });
      expect(created.status).toBe(201);
      expect(created.body.secret).toBeUndefined();
      expect(created.body.signatureScheme).toBe('ed25519');
      expect(created.body.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
      const raw = Buffer.from(created.body.publicKey.slice(5), 'base64');
      expect(raw).toHaveLength(32);
      expect(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }).asymmetricKeyType).toBe(
        'ed25519',
      );
      expect((await read(created.body.id)).body.publicKey).toBe(created.body.publicKey);
      const [row] = await api.dataSource.query('SELECT secrets, signature_scheme FROM webhook_subscriptions WHERE id = $1', [
        created.body.id,
      ]);
      expect(row.signature_scheme).toBe('ed25519');
      expect(row.secrets[0].ciphertext).toMatch(/^v1:/);
      expect(row.secrets[0].publicKey).toBe(created.body.publicKey);
    });

    it('refuses another scheme, and a change of scheme by PATCH (fixed at creation)', async () => {
      expect((await create({ signatureScheme: 'rsa' })).body.error.details[0].field).toBe('signatureScheme');
      const created = await create({});
      const res = await patch(created.body.id, { signatureScheme: 'ed25519' });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe('signatureScheme');
    });

    it('rotates to a new publicKey; the JWKS lists both keys during the grace period, then only the new one', async () => {
      const owner = await api.newAccount('jwks');
      const created = await create({ signatureScheme: 'ed25519' }, owner.key);
      await create({}, owner.key); // an hmac subscription adds no key
      const rotated = await api.request('POST', `/webhooks/subscriptions/${created.body.id}/secret/rotate`, {
        key: owner.key,
        body: { graceSeconds: 60 },
      });
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body)).toEqual(['publicKey']);
      expect(rotated.body.publicKey).not.toBe(created.body.publicKey);
      const jwks = await api.request('GET', '/webhooks/jwks.json', { key: owner.key });
      expect(jwks.status).toBe(200);
      const xOf = (publicKey: string) => Buffer.from(publicKey.slice(5), 'base64').toString('base64url');
      expect(jwks.body.keys.map((k: { x: string }) => k.x)).toEqual([xOf(rotated.body.publicKey), xOf(created.body.publicKey)]);
      expect(jwks.body.keys[0]).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        use: 'sig',
        alg: 'EdDSA',
        subscriptionId: created.body.id,
        expiresAt: null,
      });
      expect(jwks.body.keys[1].expiresAt).not.toBeNull();
      for (const jwk of jwks.body.keys) expect(createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyType).toBe('ed25519');
      clock.advance(61_000);
      const later = await api.request('GET', '/webhooks/jwks.json', { key: owner.key });
      expect(later.body.keys.map((k: { x: string }) => k.x)).toEqual([xOf(rotated.body.publicKey)]);
      expect((await api.request('GET', '/webhooks/jwks.json', { key: other.key })).body.keys).toEqual([]);
      expect((await api.request('GET', '/webhooks/jwks.json', {})).status).toBe(401);
    });
  });
});
