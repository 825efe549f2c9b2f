import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message from the Redis channel that could not be accepted, kept with its reason for inspection. */
@Entity({ name: 'rejected_messages' })
export class RejectedMessage {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  channel: string;

  /** The raw message, truncated to 64 KiB. */
  @Column({ type: 'text' })
  raw: string;

  @Column({ type: 'text' })
  reason: string;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
