import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Portal tokens look like `whp_<id>_<secret>`: a different prefix from API keys (`whk_`), so one can never be
 * taken for the other. `id` (16 hex chars) finds the row; only the SHA-256 of the whole token is stored.
 */
export const PORTAL_TOKEN_PREFIX = 'whp_';

const TOKEN_PATTERN = /^whp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedPortalToken {
  id: string;
  token: string;
  tokenHash: string;
}

export function mintPortalToken(): MintedPortalToken {
  const id = randomBytes(8).toString('hex');
  const token = `${PORTAL_TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, tokenHash: hashPortalToken(token) };
}

export function hashPortalToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function parsePortalTokenId(token: string): string | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? match[1] : null;
}

export function portalTokenMatchesHash(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashPortalToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
