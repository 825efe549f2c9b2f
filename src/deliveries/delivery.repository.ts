/**
 * Delivery rows and their attempt log. Every write is idempotent so Temporal may replay or retry the activity
 * that makes it: the delivery is upserted on (event, subscription), an attempt on (delivery, run, activity attempt).
 * Each write is one statement (one round trip, its own transaction).
 */
import type { DataSource } from 'typeorm';
import type { StoredSecret } from '../subscriptions/subscription.entity';
import { WebhookDelivery } from './delivery.entity';
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

/** What one attempt needs, read in the statement that upserts the PENDING row (see beginAttempt). */
export interface AttemptContext {
  readonly deliveryId: string;
  /** Null when the subscription was deleted. */
  readonly subscription: {
    readonly id: string;
    readonly url: string;
    readonly isActive: boolean;
    readonly secrets: StoredSecret[];
    /** Null: no rate limit. */
    readonly rateLimitPerSecond: number | null;
  } | null;
  /** Null when the event is not stored. */
  readonly event: { readonly type: string; readonly body: string } | null;
}

export interface DeliveryRepository {
  /**
   * recordStarted plus the subscription and the event the attempt sends, in one statement (one round trip instead of
   * three): the row is upserted even when the subscription is gone, as the failure is then recorded on it.
   */
  beginAttempt(start: DeliveryStart): Promise<AttemptContext>;
  /** Creates the row as PENDING, or sets an existing one back to PENDING (a reset or a re-delivery). Returns its id. */
  recordStarted(start: DeliveryStart): Promise<string>;
  /**
   * Appends an attempt with the next delivery-wide number and updates the row's counters, in one statement; with
   * `succeeded` the row becomes SUCCESS in the same statement. A second call for the same key appends nothing.
   */
  recordAttempt(deliveryId: string, attempt: AttemptRecord, options?: { succeeded?: boolean }): Promise<{ attempt: number; inserted: boolean }>;
  /** Sets FAILURE with the reason, creating the row when no attempt did (upsert on (event, subscription)). Returns its id. */
  recordFailure(start: DeliveryStart, error: string): Promise<string>;
  findById(id: string): Promise<WebhookDelivery | null>;
  findByEventAndSubscription(eventId: string, subscriptionId: string): Promise<WebhookDelivery | null>;
  /** The attempt log, oldest first. */
  listAttempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]>;
}

/**
 * One round trip per attempt. The UPDATE takes the delivery's row lock and numbers the attempt from the row's counter;
 * a concurrent writer of the same delivery waits for that lock and, under READ COMMITTED, recomputes `attempts + 1`
 * from the committed row, so numbers stay gap-free and unique. An attempt already recorded (same run and activity
 * attempt) updates and inserts nothing (and the unique index rejects a racing duplicate).
 */
const RECORD_ATTEMPT_SQL = `
  WITH bumped AS (
    UPDATE webhook_deliveries
       SET attempts = attempts + 1, last_status_code = $6::int, last_error = $7::text, updated_at = now(),
           status = CASE WHEN $9::boolean THEN 'SUCCESS' ELSE status END
     WHERE id = $1::uuid
       AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts
                        WHERE delivery_id = $1::uuid AND run_id = $2::varchar AND activity_attempt = $3::int)
     RETURNING attempts
  )
  INSERT INTO webhook_delivery_attempts
    (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, response_body)
  SELECT $1::uuid, $2::varchar, $3::int, bumped.attempts, $4::timestamptz, $5::int, $6::int, $7::text, $8::text FROM bumped
  RETURNING attempt`;

const UPSERT_STARTED_SQL = `
  INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, workflow_id, status)
  VALUES ($1, $2, $3, $4, $5, 'PENDING')
  ON CONFLICT (event_id, subscription_id)
  DO UPDATE SET status = 'PENDING', workflow_id = EXCLUDED.workflow_id, updated_at = now()
  RETURNING id`;

const BEGIN_ATTEMPT_SQL = `
  WITH started AS (${UPSERT_STARTED_SQL})
  SELECT started.id AS delivery_id, s.id AS subscription_id, s.url, s.is_active, s.secrets, s.rate_limit_per_second,
         e.type AS event_type, e.body AS event_body
    FROM started
    LEFT JOIN webhook_subscriptions s ON s.id = $1::uuid
    LEFT JOIN webhook_events e ON e.id = $3`;

interface BeginAttemptRow {
  delivery_id: string;
  subscription_id: string | null;
  url: string | null;
  is_active: boolean | null;
  secrets: StoredSecret[] | null;
  rate_limit_per_second: number | null;
  event_type: string | null;
  event_body: string | null;
}

export function createDeliveryRepository(dataSource: DataSource): DeliveryRepository {
  const deliveries = dataSource.getRepository(WebhookDelivery);
  const attempts = dataSource.getRepository(WebhookDeliveryAttempt);

  return {
    async beginAttempt(start) {
      const rows: BeginAttemptRow[] = await dataSource.query(BEGIN_ATTEMPT_SQL, [
        start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId,
      ]);
      const row = rows[0] as BeginAttemptRow;
      return {
        deliveryId: row.delivery_id,
        subscription: row.subscription_id === null
          ? null
          : {
              id: row.subscription_id,
              url: row.url as string,
              isActive: row.is_active === true,
              secrets: row.secrets ?? [],
              rateLimitPerSecond: row.rate_limit_per_second ?? null,
            },
        event: row.event_type === null ? null : { type: row.event_type, body: row.event_body as string },
      };
    },

    async recordStarted(start) {
      const rows: Array<{ id: string }> = await dataSource.query(UPSERT_STARTED_SQL, [
        start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId,
      ]);
      return (rows[0] as { id: string }).id;
    },

    async recordAttempt(deliveryId, record, options = {}) {
      const succeeded = options.succeeded === true;
      const inserted: Array<{ attempt: number }> = await dataSource.query(RECORD_ATTEMPT_SQL, [
        deliveryId, record.runId, record.activityAttempt, record.startedAt, record.durationMs,
        record.statusCode, record.error, record.responseBody, succeeded,
      ]);
      if (inserted[0]) return { attempt: inserted[0].attempt, inserted: true };
      // Nothing appended: the attempt is already on record (a repeated call), or the delivery does not exist.
      const existing = await findAttempt(dataSource, deliveryId, record);
      if (existing === undefined) throw new Error(`delivery ${deliveryId} does not exist`);
      if (succeeded) {
        await dataSource.query(`UPDATE webhook_deliveries SET status = 'SUCCESS', last_error = NULL, updated_at = now() WHERE id = $1`, [deliveryId]);
      }
      return { attempt: existing, inserted: false };
    },

    async recordFailure(start, error) {
      const rows: Array<{ id: string }> = await dataSource.query(
        `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, workflow_id, status, last_error)
         VALUES ($1, $2, $3, $4, $5, 'FAILURE', $6)
         ON CONFLICT (event_id, subscription_id)
         DO UPDATE SET status = 'FAILURE', last_error = EXCLUDED.last_error, workflow_id = EXCLUDED.workflow_id, updated_at = now()
         RETURNING id`,
        [start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId, error],
      );
      return (rows[0] as { id: string }).id;
    },

    findById: (id) => deliveries.findOneBy({ id }),
    findByEventAndSubscription: (eventId, subscriptionId) => deliveries.findOneBy({ eventId, subscriptionId }),
    listAttempts: (deliveryId) => attempts.find({ where: { deliveryId }, order: { attempt: 'ASC' } }),
  };
}

async function findAttempt(dataSource: DataSource, deliveryId: string, record: AttemptRecord): Promise<number | undefined> {
  const rows: Array<{ attempt: number }> = await dataSource.query(
    `SELECT attempt FROM webhook_delivery_attempts WHERE delivery_id = $1 AND run_id = $2 AND activity_attempt = $3`,
    [deliveryId, record.runId, record.activityAttempt],
  );
  return rows[0]?.attempt;
}
