import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Every accepted event envelope, stored once by id: the source of truth for the bytes delivered and for retries. */
@Entity({ name: 'webhook_events' })
export class WebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  @Column({ type: 'varchar', length: 100 })
  type: string;

  /** The envelope exactly as it will be serialised into the request body. */
  @Column({ type: 'jsonb' })
  envelope: Record<string, unknown>;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
