import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `whk_<id>_<secret>`: `id` (16 hex chars) finds the row, `secret` (32 random bytes,
 * base64url) is the part only the holder knows. The prefix makes leaked keys easy to spot by secret scanners.
 * Only the SHA-256 of the whole key is stored.
 */
export const API_KEY_PREFIX = 'whk_';

const KEY_PATTERN = /^whk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface MintedApiKey {
  id: string;
  /** The full key, shown once to its holder. */
  key: string;
  /** hex SHA-256 of `key`, the only thing stored. */
  keyHash: string;
}

export function mintApiKey(): MintedApiKey {
  const id = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, keyHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key id of a well-formed key, or null. */
export function parseApiKeyId(key: string): string | null {
  const match = KEY_PATTERN.exec(key);
  return match ? match[1] : null;
}

export function isApiKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

/** Constant-time comparison of a presented key against a stored hash. */
export function apiKeyMatchesHash(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
