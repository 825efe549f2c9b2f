import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every accepted event, stored once by id: the source of truth for the bytes delivered and for retries.
 * `dispatchedAt` is set once a workflow exists for every matching subscription; events left undispatched
 * (Temporal unreachable, process killed) are picked up again by the dispatcher's sweep.
 */
@Entity({ name: 'webhook_events' })
export class WebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  @Column({ type: 'varchar', length: 100 })
  type: string;

  /** The envelope serialised once, at receipt: these exact bytes are the request body and what is signed. */
  @Column({ type: 'text' })
  body: string;

  /** The envelope's orderingKey (null when it had none). */
  @Column({ name: 'ordering_key', type: 'varchar', length: 200, nullable: true })
  orderingKey: string | null;

  /** Its place in order, kept from the first copy received (src/lanes/lane-position.ts); null without an orderingKey. */
  @Column({ name: 'lane_position', type: 'numeric', precision: 60, scale: 0, nullable: true })
  lanePosition: string | null;

  /** The stream entry the first copy came in (null: it came through Pub/Sub, or had no orderingKey). */
  @Column({ name: 'stream_entry_id', type: 'varchar', length: 48, nullable: true })
  streamEntryId: string | null;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;
}
