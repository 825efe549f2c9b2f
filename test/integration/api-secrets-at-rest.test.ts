import { openLiveSecrets } from '../../src/subscriptions/signing-secrets';
import type { StoredSecret } from '../../src/subscriptions/subscription.entity';
import { ApiHarness, manualClock, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';

describe('secrets at rest and rotation', () => {
  const clock = manualClock();
  let api: ApiHarness;
  let account: { accountId: string; key: string; keyId: string };

  beforeAll(async () => {
    api = await startApiHarness({ now: clock.now });
    account = await api.newAccount();
  });
  afterAll(() => api.close());

  async function createSubscription(): Promise<{ id: string; secret: string }> {
    const res = await api.request('POST', '/webhooks/subscriptions', {
      key: account.key,
      body: { url: `https://${PUBLIC_HOST}/s`, events: ['*'] },
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, secret: res.body.secret };
  }

  const rawRowText = async (table: string, column: string, value: string): Promise<string> => {
    const rows = await api.dataSource.query(`SELECT row_to_json(t)::text AS raw FROM ${table} t WHERE ${column} = $1`, [value]);
    expect(rows).toHaveLength(1);
    return rows[0].raw;
  };

  const storedSecrets = async (id: string): Promise<StoredSecret[]> =>
    (await api.dataSource.query('SELECT secrets FROM webhook_subscriptions WHERE id = $1', [id]))[0].secrets;

  it('stores neither the plaintext signing secret nor its base64 key, only a ciphertext that opens to it', async () => {
    const { id, secret } = await createSubscription();
    const raw = await rawRowText('webhook_subscriptions', 'id', id);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(secret.slice('whsec_'.length));
    expect(raw).not.toContain(Buffer.from(secret.slice('whsec_'.length), 'base64').toString('hex'));
    const secrets = await storedSecrets(id);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toEqual({ ciphertext: expect.stringMatching(/^v1:/), createdAt: clock.now().toISOString(), expiresAt: null });
    expect(api.secretBox.open(secrets[0].ciphertext, id)).toBe(secret);
  });

  it('binds the ciphertext to its subscription: it does not open under another id', async () => {
    const first = await createSubscription();
    const second = await createSubscription();
    const [sealed] = await storedSecrets(first.id);
    expect(() => api.secretBox.open(sealed.ciphertext, second.id)).toThrow();
  });

  it('stores only the SHA-256 of an API key, never the key or its secret part', async () => {
    const raw = await rawRowText('api_keys', 'id', account.keyId);
    expect(raw).not.toContain(account.key);
    expect(raw).not.toContain(account.key.split('_').slice(2).join('_'));
    expect(raw).toMatch(/"key_hash":"[0-9a-f]{64}"/);
  });

  it('rotates to a new secret; the row then holds two live ciphertexts, old expiring after the default 24 h', async () => {
    const { id, secret: oldSecret } = await createSubscription();
    clock.advance(1_000);
    const res = await api.request('POST', `/webhooks/subscriptions/${id}/secret/rotate`, { key: account.key });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['secret']);
    const newSecret: string = res.body.secret;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newSecret).not.toBe(oldSecret);

    const secrets = await storedSecrets(id);
    expect(secrets).toHaveLength(2);
    expect(secrets[0].expiresAt).toBeNull();
    expect(secrets[1].expiresAt).toBe(new Date(clock.now().getTime() + 86_400_000).toISOString());
    expect(openLiveSecrets(api.secretBox, id, secrets, clock.now())).toEqual([newSecret, oldSecret]);
    const raw = await rawRowText('webhook_subscriptions', 'id', id);
    expect(raw).not.toContain(newSecret);
    expect(raw).not.toContain(oldSecret);

    clock.advance(86_400_000 + 1);
    expect(openLiveSecrets(api.secretBox, id, secrets, clock.now())).toEqual([newSecret]);
  });

  it('honours graceSeconds, and graceSeconds 0 retires the old secret at once', async () => {
    const { id } = await createSubscription();
    const short = await api.request('POST', `/webhooks/subscriptions/${id}/secret/rotate`, {
      key: account.key,
      body: { graceSeconds: 60 },
    });
    const afterShort = await storedSecrets(id);
    expect(afterShort[1].expiresAt).toBe(new Date(clock.now().getTime() + 60_000).toISOString());
    const immediate = await api.request('POST', `/webhooks/subscriptions/${id}/secret/rotate`, {
      key: account.key,
      body: { graceSeconds: 0 },
    });
    const afterImmediate = await storedSecrets(id);
    expect(afterImmediate).toHaveLength(1);
    expect(openLiveSecrets(api.secretBox, id, afterImmediate, clock.now())).toEqual([immediate.body.secret]);
    expect(immediate.body.secret).not.toBe(short.body.secret);
  });

  it('keeps every rotation when several run at once (row lock)', async () => {
    const { id } = await createSubscription();
    const results = await Promise.all(
      [1, 2, 3].map(() => api.request('POST', `/webhooks/subscriptions/${id}/secret/rotate`, { key: account.key, body: {} })),
    );
    const issued = results.map((r) => r.body.secret);
    const live = openLiveSecrets(api.secretBox, id, await storedSecrets(id), clock.now());
    expect(live).toHaveLength(4);
    expect(live).toEqual(expect.arrayContaining(issued));
  });
});
