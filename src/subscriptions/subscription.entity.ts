import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { EventFilter } from './event-filter';

/** One signing secret, encrypted at rest. `expiresAt` is null for the current secret. */
export interface StoredSecret {
  /** AES-256-GCM envelope produced by src/crypto/secret-box.ts (never the plaintext). */
  ciphertext: string;
  createdAt: string;
  expiresAt: string | null;
  /** An ed25519 key's public half (`whpk_` + base64 of the 32-byte raw key); absent for HMAC secrets. */
  publicKey?: string;
}

/** `hmac`: HMAC-SHA256 signatures (X-Hub-Signature-256 and `v1,`); `ed25519`: Ed25519 `v1a,` signatures only. */
export type SignatureScheme = 'hmac' | 'ed25519';

/** `gone`: the endpoint answered 410; `failing`: it failed without a success for WEBHOOKS_DISABLE_AFTER_HOURS. */
export type DisabledReason = 'gone' | 'failing';

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

  /** At most this many deliveries per second reach the subscription; null means no limit. */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond: number | null;

  /**
   * Deliveries of events that share an orderingKey form a lane: each starts only after the one before it ended
   * (src/lanes).
   */
  @Column({ type: 'boolean', default: false })
  ordered: boolean;

  /** Why the engine switched the subscription off (null while it never did, or since it was re-enabled). */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 16, nullable: true })
  disabledReason: DisabledReason | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  /** The last successful attempt, kept to the minute (the success path writes the row at most once a minute). */
  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  /** The first failed attempt after the last success; null while the last attempt succeeded (or none was made). */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  /** Failed attempts since the last success. */
  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  /** Conditions on the event's data (src/subscriptions/event-filter.ts); null: every event of its types. */
  @Column({ type: 'jsonb', nullable: true })
  filter: EventFilter | null;

  /** Custom headers sent on every attempt: one sealed envelope of the JSON object (src/subscriptions/custom-headers.ts). */
  @Column({ type: 'text', nullable: true })
  headers: string | null;

  @Column({ name: 'signature_scheme', type: 'varchar', length: 16, default: 'hmac' })
  signatureScheme: SignatureScheme;

  /** Newest first. Only ciphertext is stored (HMAC secrets, or ed25519 private keys). */
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  secrets: StoredSecret[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
