/**
 * Pure request signing (no I/O): the contract's headers for one attempt of one delivery.
 *
 * - `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body, keyed with the newest secret string exactly
 *   as the API returned it (`whsec_...` included), as GitHub-style receivers expect.
 * - Standard Webhooks: `webhook-signature` carries one `v1,<base64>` entry per live secret (newest first), each an
 *   HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded part after `whsec_`.
 *
 * - Ed25519 (`scheme: 'ed25519'`): `webhook-signature` carries one `v1a,<base64>` entry per live key (newest first),
 *   each an Ed25519 signature of `<webhook-id>.<webhook-timestamp>.<body>`; no `X-Hub-Signature-256` is sent.
 *
 * `webhookId` must be stable across every attempt of one event to one subscription (see `webhookIdFor`), while the
 * timestamp is fresh per attempt.
 */
import { createHmac, createPrivateKey, sign } from 'node:crypto';
import packageJson from '../../package.json';

/** The prefix of a signing secret string (Standard Webhooks): the key is the base64 after it. */
export const SECRET_PREFIX = 'whsec_';

/** The prefix of an ed25519 public key as the API shows it: `whpk_` + base64 of the 32-byte raw key. */
export const PUBLIC_KEY_PREFIX = 'whpk_';

export const USER_AGENT = `${packageJson.name}/${packageJson.version}`;

export interface SignInput {
  /** The exact bytes sent as the body. */
  readonly body: Buffer | string;
  readonly webhookId: string;
  /** Unix seconds of this attempt. */
  readonly timestamp: number;
  readonly eventType: string;
  /**
   * Live secrets, newest first, as returned by openLiveSecrets. At least one. For `ed25519`: the private keys (base64
   * PKCS#8 DER).
   */
  readonly secrets: readonly string[];
  /** Default `hmac`. */
  readonly scheme?: 'hmac' | 'ed25519';
}

export type SignedHeaders = Readonly<Record<string, string>>;

/**
 * The webhook-id of a delivery: `msg_` + the delivery row id without dashes. The delivery row is unique on
 * (event, subscription) and upserted, so every attempt, reset and worker restart of that delivery sends the same id,
 * and a receiver can look the delivery up in the API from it.
 */
export function webhookIdFor(deliveryId: string): string {
  return `msg_${deliveryId.replace(/-/g, '')}`;
}

function standardKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('signing secret has no key material');
  return key;
}

export function signHeaders(input: SignInput): SignedHeaders {
  if (input.secrets.length === 0) throw new Error('no live signing secret');
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) throw new Error('timestamp must be unix seconds');
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const signed = Buffer.concat([Buffer.from(`${input.webhookId}.${input.timestamp}.`, 'utf8'), body]);
  const common = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-webhook-event': input.eventType,
    'x-webhook-delivery': input.webhookId,
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(input.timestamp),
  };
  if (input.scheme === 'ed25519') {
    const signatures = input.secrets.map(
      (der) =>
        `v1a,${sign(null, signed, createPrivateKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'pkcs8' })).toString('base64')}`,
    );
    return { ...common, 'webhook-signature': signatures.join(' ') };
  }
  const newest = input.secrets[0] as string;
  const hub = createHmac('sha256', newest).update(body).digest('hex');
  const signatures = input.secrets.map((secret) => `v1,${createHmac('sha256', standardKey(secret)).update(signed).digest('base64')}`);
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-hub-signature-256': `sha256=${hub}`,
    'x-webhook-event': input.eventType,
    'x-webhook-delivery': input.webhookId,
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signatures.join(' '),
  };
}
