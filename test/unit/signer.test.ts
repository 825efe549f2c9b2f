import { createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signHeaders, USER_AGENT, webhookIdFor } from '../../src/http/signer';
import { generateEd25519Key, generateSigningSecret } from '../../src/subscriptions/signing-secrets';
import packageJson from '../../package.json';

const body = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'NEW_MESSAGE_FROM_VISITOR', data: { text: 'héllo ✓' } }));
const nowSeconds = () => Math.floor(Date.now() / 1000);

function headersFor(secrets: string[], timestamp = nowSeconds()) {
  return signHeaders({ body, webhookId: 'msg_abc', timestamp, eventType: 'NEW_MESSAGE_FROM_VISITOR', secrets });
}

describe('signHeaders', () => {
  it('produces a Standard Webhooks signature that the reference library verifies', () => {
    const secret = generateSigningSecret();
    const headers = headersFor([secret]);
    expect(new Webhook(secret).verify(body.toString('utf8'), headers)).toEqual(JSON.parse(body.toString('utf8')));
  });

  it('signs X-Hub-Signature-256 with the secret string exactly as returned, whsec_ prefix included', () => {
    const secret = generateSigningSecret();
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(headersFor([secret])['x-hub-signature-256']).toBe(`sha256=${expected}`);
  });

  it('during a rotation emits one v1 entry per live secret and each verifies on its own', () => {
    const [newest, previous] = [generateSigningSecret(), generateSigningSecret()];
    const headers = headersFor([newest, previous]);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    expect(() => new Webhook(newest).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', newest).update(body).digest('hex')}`);
  });

  it('does not verify with a secret that is not live', () => {
    const headers = headersFor([generateSigningSecret()]);
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('fails verification when a single body byte changes', () => {
    const secret = generateSigningSecret();
    const headers = headersFor([secret]);
    const tampered = Buffer.from(body);
    tampered[5] = tampered[5]! ^ 1;
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow();
  });

  it('carries the event type, the delivery id, JSON content type and the package user agent', () => {
    const headers = headersFor([generateSigningSecret()], 1_700_000_000);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `webhooks-engine/${packageJson.version}`,
      'x-webhook-event': 'NEW_MESSAGE_FROM_VISITOR',
      'x-webhook-delivery': 'msg_abc',
      'webhook-id': 'msg_abc',
      'webhook-timestamp': '1700000000',
    });
    expect(USER_AGENT).toBe(`webhooks-engine/${packageJson.version}`);
  });

  it('signs the exact bytes given, whatever the key material', () => {
    const raw = randomBytes(32);
    const secret = `whsec_${raw.toString('base64')}`;
    const headers = headersFor([secret], 1_700_000_000);
    const expected = createHmac('sha256', raw)
      .update(`msg_abc.1700000000.${body.toString('utf8')}`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('refuses to sign without a live secret or with a bad timestamp', () => {
    expect(() => headersFor([])).toThrow('no live signing secret');
    expect(() => headersFor([generateSigningSecret()], -1)).toThrow('unix seconds');
  });
});

describe('webhookIdFor', () => {
  it('derives a stable msg_ id from the delivery id', () => {
    const id = '0b6f1c9e-6f7a-4c1e-9d41-3f0c2a1b5e77';
    expect(webhookIdFor(id)).toBe('msg_0b6f1c9e6f7a4c1e9d413f0c2a1b5e77');
    expect(webhookIdFor(id)).toBe(webhookIdFor(id));
  });
});

describe('signHeaders, ed25519', () => {
  const keyOf = (publicKey: string) =>
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') },
      format: 'jwk',
    });
  const sign = (privateKeys: string[], timestamp = 1_760_000_000) =>
    signHeaders({ body, webhookId: 'msg_abc', timestamp, eventType: 'NEW_MESSAGE_FROM_VISITOR', secrets: privateKeys, scheme: 'ed25519' });

  it('signs "<webhook-id>.<webhook-timestamp>.<body>" as v1a, and sends no X-Hub-Signature-256', () => {
    const key = generateEd25519Key();
    const headers = sign([key.privateKey]);
    expect(headers['x-hub-signature-256']).toBeUndefined();
    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const signature = Buffer.from((headers['webhook-signature'] as string).slice(4), 'base64');
    const content = Buffer.concat([Buffer.from('msg_abc.1760000000.'), body]);
    expect(verify(null, content, keyOf(key.publicKey), signature)).toBe(true);
    expect(verify(null, Buffer.concat([Buffer.from('msg_abc.1760000001.'), body]), keyOf(key.publicKey), signature)).toBe(false);
    expect(headers).toMatchObject({ 'webhook-id': 'msg_abc', 'webhook-timestamp': '1760000000', 'content-type': 'application/json' });
  });

  it('during a rotation emits one v1a entry per live key, newest first, each verifying with its own key only', () => {
    const [newest, previous] = [generateEd25519Key(), generateEd25519Key()];
    const entries = (sign([newest.privateKey, previous.privateKey])['webhook-signature'] as string).split(' ');
    expect(entries).toHaveLength(2);
    const content = Buffer.concat([Buffer.from('msg_abc.1760000000.'), body]);
    const sig = (entry: string) => Buffer.from(entry.slice(4), 'base64');
    expect(verify(null, content, keyOf(newest.publicKey), sig(entries[0]))).toBe(true);
    expect(verify(null, content, keyOf(previous.publicKey), sig(entries[1]))).toBe(true);
    expect(verify(null, content, keyOf(previous.publicKey), sig(entries[0]))).toBe(false);
  });

  it('shows public keys as whpk_ + base64 of the 32-byte raw key', () => {
    const { publicKey } = generateEd25519Key();
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(publicKey.slice(5), 'base64')).toHaveLength(32);
  });
});
