import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import { SECRET_PREFIX } from '../http/signer';
import type { StoredSecret } from './subscription.entity';

/** `whsec_` + base64 of 32 random bytes, as the contract and Standard Webhooks define it. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** A new current secret, sealed for the subscription. */
export function sealNewSecret(box: SecretBox, subscriptionId: string, secret: string, now: Date): StoredSecret {
  return { ciphertext: box.seal(secret, subscriptionId), createdAt: now.toISOString(), expiresAt: null };
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
