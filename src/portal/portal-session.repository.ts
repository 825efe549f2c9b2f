import type { DataSource } from 'typeorm';
import { PortalSession } from './portal-session.entity';
import { mintPortalToken, parsePortalTokenId, portalTokenMatchesHash } from './portal-token-format';

const UNKNOWN_TOKEN_HASH = '0'.repeat(64);

export interface PortalSessionRepository {
  /** Mints a token for `accountId` valid for `ttlSeconds`; the token is returned once and stored hashed. */
  create(accountId: string, ttlSeconds: number): Promise<{ id: string; token: string; expiresAt: Date }>;
  /** Revokes one of the account's sessions; false when it has no live session with this id (other accounts' too). */
  revoke(accountId: string, sessionId: string): Promise<boolean>;
  /** The session's account when `presented` is a live, unexpired token, else null. */
  authenticate(presented: string): Promise<{ sessionId: string; accountId: string } | null>;
}

export function createPortalSessionRepository(dataSource: DataSource, now: () => Date = () => new Date()): PortalSessionRepository {
  const sessions = dataSource.getRepository(PortalSession);
  return {
    async create(accountId, ttlSeconds) {
      const minted = mintPortalToken();
      const expiresAt = new Date(now().getTime() + ttlSeconds * 1000);
      await sessions.insert({ id: minted.id, accountId, tokenHash: minted.tokenHash, expiresAt, revokedAt: null });
      return { id: minted.id, token: minted.token, expiresAt };
    },

    async revoke(accountId, sessionId) {
      const result = await sessions
        .createQueryBuilder()
        .update(PortalSession)
        .set({ revokedAt: now() })
        .where('id = :sessionId AND account_id = :accountId AND revoked_at IS NULL', { sessionId, accountId })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    async authenticate(presented) {
      const id = parsePortalTokenId(presented);
      if (!id) return null;
      const row = await sessions.findOneBy({ id });
      const matches = portalTokenMatchesHash(presented, row?.tokenHash ?? UNKNOWN_TOKEN_HASH);
      if (!row || !matches || row.revokedAt !== null) return null;
      if (row.expiresAt.getTime() <= now().getTime()) return null;
      return { sessionId: row.id, accountId: row.accountId };
    },
  };
}
