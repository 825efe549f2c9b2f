import type { DataSource } from 'typeorm';
import { ApiKey } from './api-key.entity';
import { apiKeyMatchesHash, mintApiKey, parseApiKeyId } from './api-key-format';

/** How often at most `lastUsedAt` is written for one key (saves a write on every request). */
export const LAST_USED_RESOLUTION_MS = 60_000;

const UNKNOWN_KEY_HASH = '0'.repeat(64);

export interface AuthenticatedKey {
  keyId: string;
  accountId: string;
}

export interface ApiKeyRepository {
  /** Mints and stores a key for `accountId`; returns the full key (shown once) and its id. */
  create(accountId: string): Promise<{ id: string; key: string }>;
  /** Revokes a key; false when no unrevoked key has this id. */
  revoke(keyId: string): Promise<boolean>;
  /** The key's account when `presented` is a live key, else null. Touches `lastUsedAt` at most once a minute. */
  authenticate(presented: string): Promise<AuthenticatedKey | null>;
}

export function createApiKeyRepository(dataSource: DataSource, now: () => Date = () => new Date()): ApiKeyRepository {
  const keys = dataSource.getRepository(ApiKey);
  return {
    async create(accountId) {
      const minted = mintApiKey();
      await keys.insert({ id: minted.id, accountId, keyHash: minted.keyHash, lastUsedAt: null, revokedAt: null });
      return { id: minted.id, key: minted.key };
    },

    async revoke(keyId) {
      const result = await keys
        .createQueryBuilder()
        .update(ApiKey)
        .set({ revokedAt: now() })
        .where('id = :keyId AND revoked_at IS NULL', { keyId })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    async authenticate(presented) {
      const keyId = parseApiKeyId(presented);
      if (!keyId) return null;
      const row = await keys.findOneBy({ id: keyId });
      // Compare even when the id is unknown, so both paths do the same work.
      const matches = apiKeyMatchesHash(presented, row?.keyHash ?? UNKNOWN_KEY_HASH);
      if (!row || row.revokedAt !== null || !matches) return null;
      const at = now();
      if (!row.lastUsedAt || at.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
        await keys.update({ id: keyId }, { lastUsedAt: at });
      }
      return { keyId, accountId: row.accountId };
    },
  };
}
