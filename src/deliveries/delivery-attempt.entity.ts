import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One HTTP request of a delivery: written when the attempt is claimed, just before the POST (`inFlight`), its outcome
 * filled in once the answer (or the failure) is known. A row whose execution died before recording stays in flight
 * and reads as interrupted (see attempt-log.ts). `attempt` is the delivery-wide sequence number shown in the API,
 * unique and gap-free per delivery; the key (workflow run, activity attempt) is not unique: an attempt whose
 * execution died is made again by the execution that takes its claim over, as an entry of its own. Partitioned by its
 * event's day like its delivery (docs/data-at-volume.md).
 */
@Entity({ name: 'webhook_delivery_attempts' })
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

  /** Written before the request, outcome not recorded yet: in flight while its claim lives, interrupted after. */
  @Column({ name: 'in_flight', type: 'boolean', default: false })
  inFlight: boolean;

  /** The claim token of the execution that made the request (null for rows recorded without a claim). */
  @Column({ name: 'claim_token', type: 'uuid', nullable: true })
  claimToken: string | null;
}
