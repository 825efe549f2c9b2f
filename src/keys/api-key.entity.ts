import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An API key. The key itself is `whk_<id>_<secret>`; only the SHA-256 of the whole key is stored,
 * looked up by `id` and compared in constant time.
 */
@Entity({ name: 'api_keys' })
@Index('idx_api_keys_account', ['accountId'])
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  /** hex SHA-256 of the full key string. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
