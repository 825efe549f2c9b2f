import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One signing secret, encrypted at rest. `expiresAt` is null for the current secret. */
export interface StoredSecret {
  /** AES-256-GCM envelope produced by src/crypto/secret-box.ts (never the plaintext). */
  ciphertext: string;
  createdAt: string;
  expiresAt: string | null;
}

@Entity({ name: 'webhook_subscriptions' })
@Index('idx_webhook_subscriptions_account_created', ['accountId', 'createdAt', 'id'])
export class WebhookSubscription {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', array: true })
  events: string[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  /** Newest first. Only ciphertext is stored. */
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  secrets: StoredSecret[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
