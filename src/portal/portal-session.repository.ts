import type { DataSource, EntityManager } from 'typeorm';
import { LimitReachedError } from '../shared/limit-reached';
import { PortalSession } from './portal-session.entity';
import { mintPortalToken, parsePortalTokenId, portalTokenMatchesHash } from './portal-token-format';

const UNKNOWN_TOKEN_HASH = '0'.repeat(64);

export interface PortalSessionRepository {
  /**
   * Mints a token for `accountId` valid for `ttlSeconds`; the token is returned once and stored hashed. Throws
   * LimitReachedError (nothing written) when the account already has its maximum of live sessions.
   */
  create(accountId: string, ttlSeconds: number): Promise<{ id: string; token: string; expiresAt: Date }>;
  /** Revokes one of the account's sessions; false when it has no live session with this id (other accounts' too). */
  revoke(accountId: string, sessionId: string): Promise<boolean>;
  /** The session's account when `presented` is a live, unexpired token, else null. */
  authenticate(presented: string): Promise<{ sessionId: string; accountId: string } | null>;
}

/** First key of the advisory lock that serialises one account's session minting (the second is the account's hash). */
export const PORTAL_SESSIONS_LOCK_CLASS = 0x5742_0002;

export interface PortalSessionLimits {
  /** Live (neither expired nor revoked) sessions per account; unbounded when absent. */
  maxLivePerAccount?: number;
}

export function createPortalSessionRepository(
  dataSource: DataSource,
  now: () => Date = () => new Date(),
  limits: PortalSessionLimits = {},
): PortalSessionRepository {
  const sessions = dataSource.getRepository(PortalSession);
  return {
    create(accountId, ttlSeconds) {
      return dataSource.transaction(async (manager: EntityManager) => {
        const at = now();
        const max = limits.maxLivePerAccount;
        if (max !== undefined) {
          await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PORTAL_SESSIONS_LOCK_CLASS, accountId]);
          const [{ n }] = await manager.query<Array<{ n: number }>>(
            'SELECT count(*)::int AS n FROM portal_sessions WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2',
            [accountId, at],
          );
          if (n >= max) {
            throw new LimitReachedError(
              'live portal sessions per account',
              max,
              'revoke one (DELETE /webhooks/portal-sessions/{id}) or wait until one expires',
            );
          }
        }
        const minted = mintPortalToken();
        const expiresAt = new Date(at.getTime() + ttlSeconds * 1000);
        await manager.insert(PortalSession, { id: minted.id, accountId, tokenHash: minted.tokenHash, expiresAt, revokedAt: null });
        return { id: minted.id, token: minted.token, expiresAt };
      });
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
