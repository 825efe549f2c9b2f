import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DeliveryStatus = {
  PENDING: 'PENDING',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/**
 * One event to one subscription. Unique on (event, subscription) within its event's day (the table is partitioned by
 * day; its keys and indexes are the migrations', docs/data-at-volume.md); attempts append to it across retries and resets.
 */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId: string;

  @Column({ name: 'account_id', type: 'varchar', length: 128 })
  accountId: string;

  @Column({ name: 'event_id', type: 'varchar', length: 200 })
  eventId: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType: string;

  @Column({ type: 'varchar', length: 16, default: DeliveryStatus.PENDING })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'workflow_id', type: 'varchar', length: 300 })
  workflowId: string;

  /** The event's orderingKey when the subscription is ordered (the delivery is in a lane); null otherwise. */
  @Column({ name: 'ordering_key', type: 'varchar', length: 200, nullable: true })
  orderingKey: string | null;

  /** The event's place in its lane (a numeric, read as a string: see src/lanes/lane-position.ts). */
  @Column({ name: 'lane_position', type: 'numeric', precision: 60, scale: 0, nullable: true })
  lanePosition: string | null;

  /** While the delivery waits for its turn: the delivery before it in the lane. */
  @Column({ name: 'waiting_for', type: 'uuid', nullable: true })
  waitingFor: string | null;

  /** When the delivery ended its turn in the lane (the next one may then start). */
  @Column({ name: 'lane_passed_at', type: 'timestamptz', nullable: true })
  lanePassedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
