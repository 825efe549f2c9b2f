/**
 * Delivery rows and their attempt log. Every write is idempotent so Temporal may replay or retry the activity
 * that makes it: the delivery is upserted on (event, subscription), an attempt on (delivery, run, activity attempt).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { DeliveryStatus, WebhookDelivery } from './delivery.entity';
import { WebhookDeliveryAttempt } from './delivery-attempt.entity';

export interface DeliveryStart {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  readonly workflowId: string;
}

export interface AttemptRecord {
  readonly runId: string;
  readonly activityAttempt: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseBody: string | null;
}

export interface DeliveryRepository {
  /** Creates the row as PENDING, or sets an existing one back to PENDING (a reset or a re-delivery). Returns its id. */
  recordStarted(start: DeliveryStart): Promise<string>;
  /** Appends an attempt with the next delivery-wide number; a second call for the same key changes nothing. */
  recordAttempt(deliveryId: string, attempt: AttemptRecord): Promise<{ attempt: number; inserted: boolean }>;
  recordOutcome(deliveryId: string, status: DeliveryStatus, error?: string): Promise<void>;
  findById(id: string): Promise<WebhookDelivery | null>;
  findByEventAndSubscription(eventId: string, subscriptionId: string): Promise<WebhookDelivery | null>;
  /** The attempt log, oldest first. */
  listAttempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]>;
}

export function createDeliveryRepository(dataSource: DataSource): DeliveryRepository {
  const deliveries = dataSource.getRepository(WebhookDelivery);
  const attempts = dataSource.getRepository(WebhookDeliveryAttempt);

  return {
    async recordStarted(start) {
      const rows: Array<{ id: string }> = await dataSource.query(
        `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, workflow_id, status)
         VALUES ($1, $2, $3, $4, $5, 'PENDING')
         ON CONFLICT (event_id, subscription_id)
         DO UPDATE SET status = 'PENDING', workflow_id = EXCLUDED.workflow_id, updated_at = now()
         RETURNING id`,
        [start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId],
      );
      return (rows[0] as { id: string }).id;
    },

    recordAttempt(deliveryId, record) {
      return dataSource.transaction(async (manager) => {
        // The row lock serialises concurrent writers of one delivery, so attempt numbers stay gap-free and unique.
        const locked: unknown[] = await manager.query(`SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE`, [deliveryId]);
        if (locked.length === 0) throw new Error(`delivery ${deliveryId} does not exist`);
        const existing = await findAttempt(manager, deliveryId, record);
        if (existing !== undefined) return { attempt: existing, inserted: false };
        const inserted: Array<{ attempt: number }> = await manager.query(
          `INSERT INTO webhook_delivery_attempts
             (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, response_body)
           SELECT $1::uuid, $2::varchar, $3::int, COALESCE(MAX(attempt), 0) + 1, $4::timestamptz, $5::int, $6::int, $7::text, $8::text
             FROM webhook_delivery_attempts WHERE delivery_id = $1::uuid
           RETURNING attempt`,
          [deliveryId, record.runId, record.activityAttempt, record.startedAt, record.durationMs, record.statusCode, record.error, record.responseBody],
        );
        const attempt = (inserted[0] as { attempt: number }).attempt;
        await manager.query(
          `UPDATE webhook_deliveries
              SET attempts = (SELECT COUNT(*) FROM webhook_delivery_attempts WHERE delivery_id = $1),
                  last_status_code = $2, last_error = $3, updated_at = now()
            WHERE id = $1`,
          [deliveryId, record.statusCode, record.error],
        );
        return { attempt, inserted: true };
      });
    },

    async recordOutcome(deliveryId, status, error) {
      await dataSource.query(
        `UPDATE webhook_deliveries
            SET status = $2::varchar, last_error = CASE WHEN $2::varchar = 'SUCCESS' THEN NULL ELSE COALESCE($3::text, last_error) END,
                updated_at = now()
          WHERE id = $1`,
        [deliveryId, status, error ?? null],
      );
    },

    findById: (id) => deliveries.findOneBy({ id }),
    findByEventAndSubscription: (eventId, subscriptionId) => deliveries.findOneBy({ eventId, subscriptionId }),
    listAttempts: (deliveryId) => attempts.find({ where: { deliveryId }, order: { attempt: 'ASC' } }),
  };
}

async function findAttempt(manager: EntityManager, deliveryId: string, record: AttemptRecord): Promise<number | undefined> {
  const rows: Array<{ attempt: number }> = await manager.query(
    `SELECT attempt FROM webhook_delivery_attempts WHERE delivery_id = $1 AND run_id = $2 AND activity_attempt = $3`,
    [deliveryId, record.runId, record.activityAttempt],
  );
  return rows[0]?.attempt;
}
