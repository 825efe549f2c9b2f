import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One HTTP attempt of a delivery. Idempotent on (delivery, workflow run, activity attempt): an activity
 * that records and is then retried by Temporal for the same attempt number writes nothing new, while a
 * reset (a new run) appends new attempts. `attempt` is the delivery-wide sequence number shown in the API.
 */
@Entity({ name: 'webhook_delivery_attempts' })
@Index('uq_webhook_delivery_attempts_run_attempt', ['deliveryId', 'runId', 'activityAttempt'], { unique: true })
export class WebhookDeliveryAttempt {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @Column({ name: 'run_id', type: 'varchar', length: 100 })
  runId: string;

  @Column({ name: 'activity_attempt', type: 'int' })
  activityAttempt: number;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;
}
