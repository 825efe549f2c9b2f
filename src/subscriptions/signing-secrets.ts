import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import { PUBLIC_KEY_PREFIX, SECRET_PREFIX } from '../http/signer';
import type { StoredSecret } from './subscription.entity';

/** `whsec_` + base64 of 32 random bytes, as the contract and Standard Webhooks define it. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** A new ed25519 signing key: the private key as base64 PKCS#8 DER (to seal), the public one as `whpk_` + base64 raw. */
export function generateEd25519Key(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: PUBLIC_KEY_PREFIX + raw.toString('base64'),
  };
}

/** A new current secret (or ed25519 private key, with its public key), sealed for the subscription. */
export function sealNewSecret(box: SecretBox, subscriptionId: string, secret: string, now: Date, publicKey?: string): StoredSecret {
  return {
    ciphertext: box.seal(secret, subscriptionId),
    createdAt: now.toISOString(),
    expiresAt: null,
    ...(publicKey === undefined ? {} : { publicKey }),
  };
}

/** Public keys valid at `now`, newest first (ed25519 subscriptions; none for HMAC ones). */
export function livePublicKeys(stored: readonly StoredSecret[], now: Date): string[] {
  return liveStoredSecrets(stored, now).flatMap((s) => (s.publicKey === undefined ? [] : [s.publicKey]));
}

/**
 * Rotation: the new secret becomes current; every previous one that is still live expires after the grace
 * period (or keeps an earlier expiry). Expired ones are dropped. Newest first.
 */
export function rotateSecrets(stored: readonly StoredSecret[], fresh: StoredSecret, now: Date, graceSeconds: number): StoredSecret[] {
  const graceEnd = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const previous = liveStoredSecrets(stored, now).map((s) => ({
    ...s,
    expiresAt: s.expiresAt && s.expiresAt < graceEnd ? s.expiresAt : graceEnd,
  }));
  return [fresh, ...(graceSeconds > 0 ? previous : [])];
}

/** Secrets still valid for signing at `now`, newest first. */
export function liveStoredSecrets(stored: readonly StoredSecret[], now: Date): StoredSecret[] {
  const at = now.toISOString();
  return stored.filter((s) => s.expiresAt === null || s.expiresAt > at);
}

/** Plaintext secrets valid at `now`, newest first (for signing only; never log them). */
export function openLiveSecrets(box: SecretBox, subscriptionId: string, stored: readonly StoredSecret[], now: Date): string[] {
  return liveStoredSecrets(stored, now).map((s) => box.open(s.ciphertext, subscriptionId));
}
