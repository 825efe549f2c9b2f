import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A portal session: a short-lived token scoped to one account. Only the SHA-256 of the token is stored. */
@Entity({ name: 'portal_sessions' })
@Index('idx_portal_sessions_account', ['accountId'])
export class PortalSession {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
