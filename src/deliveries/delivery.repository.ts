/**
 * Delivery rows and their attempt log. Every write is idempotent so Temporal may replay or retry the activity
 * that makes it: the delivery is upserted on (event, subscription), an attempt on (delivery, run, activity attempt).
 * Each write is one statement (one round trip, its own transaction).
 */
import type { DataSource } from 'typeorm';
import type { SwitchOff } from '../subscriptions/subscription-health';
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

export interface RecordAttemptOptions {
  readonly succeeded?: boolean;
  /** What a failed attempt may do to the subscription (ignored with `succeeded`). */
  readonly switchOff?: SwitchOff;
}

export interface RecordedAttempt {
  /** Delivery-wide number of the attempt. */
  readonly attempt: number;
  /** False when the attempt was already on record (a repeated call). */
  readonly inserted: boolean;
  /** This attempt switched the subscription off (and stored its SUBSCRIPTION_DISABLED event). */
  readonly switchedOff: boolean;
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
   * `succeeded` the row becomes SUCCESS in the same statement. The same statement keeps the subscription's health
   * (lastSuccessAt, failingSince, consecutiveFailures) and applies `switchOff` to a failed attempt. A second call for
   * the same key appends nothing and changes no health.
   */
  recordAttempt(deliveryId: string, attempt: AttemptRecord, options?: RecordAttemptOptions): Promise<RecordedAttempt>;
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
 * attempt) updates and inserts nothing (and the unique index rejects a racing duplicate), nor touches the
 * subscription's health below.
 */
const BUMP_AND_APPEND_CTES = `
  bumped AS (
    UPDATE webhook_deliveries
       SET attempts = attempts + 1, last_status_code = $6::int, last_error = $7::text, updated_at = now(),
           status = CASE WHEN $9::boolean THEN 'SUCCESS' ELSE status END
     WHERE id = $1::uuid
       AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts
                        WHERE delivery_id = $1::uuid AND run_id = $2::varchar AND activity_attempt = $3::int)
     RETURNING attempts, subscription_id
  ),
  appended AS (
    INSERT INTO webhook_delivery_attempts
      (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, response_body)
    SELECT $1::uuid, $2::varchar, $3::int, bumped.attempts, $4::timestamptz, $5::int, $6::int, $7::text, $8::text FROM bumped
    RETURNING attempt
  )`;

/**
 * A success, plus the subscription's health: the streak cleared and lastSuccessAt set, written only when that changes
 * something (a failure streak to clear, or lastSuccessAt older than a minute). A subscription that keeps succeeding
 * costs one primary-key lookup per attempt and a row write at most once a minute.
 */
const RECORD_SUCCESS_SQL = `
  WITH ${BUMP_AND_APPEND_CTES},
  recovered AS (
    UPDATE webhook_subscriptions s
       SET last_success_at = $4::timestamptz, failing_since = NULL, consecutive_failures = 0
      FROM bumped
     WHERE s.id = bumped.subscription_id
       AND (s.consecutive_failures > 0 OR s.last_success_at IS NULL OR s.last_success_at < $4::timestamptz - interval '1 minute')
  )
  SELECT attempt, false AS switched_off FROM appended`;

/**
 * A failure, plus the subscription's health: one more consecutive failure, failingSince set if the streak starts
 * here, and the switch-off the attempt asks for ($10 reason, $11 at, $12 failing before; see
 * src/subscriptions/subscription-health.ts) applied to a subscription that is still active. The row is locked and read
 * first (FOR UPDATE, latest committed version), so exactly one attempt switches it off and stores the event ($13-$16).
 */
const RECORD_FAILURE_SQL = `
  WITH ${BUMP_AND_APPEND_CTES},
  decided AS (
    SELECT cur.id,
           COALESCE(cur.is_active AND ($10::varchar = 'gone'
             OR ($10::varchar = 'failing' AND COALESCE(cur.failing_since, $4::timestamptz) < $12::timestamptz)), false) AS off
      FROM webhook_subscriptions cur JOIN bumped ON cur.id = bumped.subscription_id
       FOR UPDATE OF cur
  ),
  health AS (
    UPDATE webhook_subscriptions s
       SET consecutive_failures = s.consecutive_failures + 1,
           failing_since = COALESCE(s.failing_since, $4::timestamptz),
           is_active = s.is_active AND NOT d.off,
           disabled_reason = CASE WHEN d.off THEN $10::varchar ELSE s.disabled_reason END,
           disabled_at = CASE WHEN d.off THEN $11::timestamptz ELSE s.disabled_at END,
           updated_at = CASE WHEN d.off THEN now() ELSE s.updated_at END
      FROM decided d
     WHERE s.id = d.id
     RETURNING d.off
  ),
  announced AS (
    INSERT INTO webhook_events (id, account_id, type, body)
    SELECT $13::varchar, $14::varchar, $15::varchar, $16::text FROM health WHERE health.off
    ON CONFLICT (id) DO NOTHING
  )
  SELECT attempt, COALESCE((SELECT off FROM health), false) AS switched_off FROM appended`;

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
      const attemptParams = [
        deliveryId, record.runId, record.activityAttempt, record.startedAt, record.durationMs,
        record.statusCode, record.error, record.responseBody, succeeded,
      ];
      const off = options.switchOff;
      const inserted: Array<{ attempt: number; switched_off: boolean }> = succeeded
        ? await dataSource.query(RECORD_SUCCESS_SQL, attemptParams)
        : await dataSource.query(RECORD_FAILURE_SQL, [
            ...attemptParams,
            off?.reason ?? null, off?.at ?? null, off?.failingBefore ?? null,
            off?.event.id ?? null, off?.event.accountId ?? null, off?.event.type ?? null, off?.event.body ?? null,
          ]);
      if (inserted[0]) return { attempt: inserted[0].attempt, inserted: true, switchedOff: inserted[0].switched_off };
      // Nothing appended: the attempt is already on record (a repeated call), or the delivery does not exist.
      const existing = await findAttempt(dataSource, deliveryId, record);
      if (existing === undefined) throw new Error(`delivery ${deliveryId} does not exist`);
      if (succeeded) {
        await dataSource.query(`UPDATE webhook_deliveries SET status = 'SUCCESS', last_error = NULL, updated_at = now() WHERE id = $1`, [deliveryId]);
      }
      return { attempt: existing, inserted: false, switchedOff: false };
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
