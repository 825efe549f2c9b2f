/**
 * Delivery rows and their attempt log. Every write is idempotent so Temporal may replay or retry the activity
 * that makes it: the delivery is upserted on (event, subscription), an attempt on (delivery, run, activity attempt).
 * Each write is one statement (one round trip, its own transaction).
 */
import type { DataSource } from 'typeorm';
import { preparedStatement } from '../db/prepared-statement';
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

/**
 * The attempt a beginAttempt call is for, and the claim it takes on the delivery before sending: one execution of an
 * attempt sends at a time (see BEGIN_ATTEMPT_SQL).
 */
export interface AttemptClaim {
  readonly runId: string;
  /** The attempt log's key within the run (offset + Temporal's attempt). */
  readonly activityAttempt: number;
  /** Unique to this execution (a random UUID). */
  readonly token: string;
  /** How long the claim holds: the longest this execution may run (its start-to-close timeout). */
  readonly forMs: number;
}

/** The attempt this key already made (another execution of it sent and recorded it). */
export interface RecordedAttemptOutcome {
  /** Delivery-wide number of the attempt. */
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
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
  /**
   * `claimed`: this execution holds the attempt and may send. `recorded`: this attempt was already made and recorded
   * (by an earlier execution of the same key): send nothing, answer with `recorded`. `held`: another execution of the
   * same attempt holds a live claim (it may be sending right now): send nothing, ask again after `heldForMs`.
   */
  readonly claim:
    | { readonly state: 'claimed' }
    | { readonly state: 'recorded'; readonly recorded: RecordedAttemptOutcome }
    | { readonly state: 'held'; readonly heldForMs: number };
}

export interface DeliveryRepository {
  /**
   * recordStarted plus the subscription and the event the attempt sends, in one statement (one round trip instead of
   * three): the row is upserted even when the subscription is gone, as the failure is then recorded on it.
   */
  beginAttempt(start: DeliveryStart, claim: AttemptClaim): Promise<AttemptContext>;
  /** Gives up this execution's claim without an attempt (the attempt was throttled): the next ask may send at once. */
  releaseClaim(deliveryId: string, token: string): Promise<void>;
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
           status = CASE WHEN $9::boolean THEN 'SUCCESS' ELSE status END,
           claim_until = CASE WHEN claim_run_id = $2::varchar AND claim_attempt = $3::int THEN NULL ELSE claim_until END
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

/**
 * The PENDING row upserted with this execution's claim, and what the attempt needs, in one statement.
 *
 * The claim makes an attempt key (run, activity attempt) send once at a time: under load a workflow task can time out
 * while its local first attempt is still running, and another worker then replays the task and runs that attempt
 * again. The upsert keeps a live claim of the same key (another execution holds it: `held`), and keeps the row's
 * status when the key already has its attempt on record (`recorded`: the other execution finished; nothing is sent
 * again and the recorded outcome is the answer). Otherwise it takes the claim until now + `forMs` and, as before,
 * sets the row PENDING (a first attempt, a reset's new run, a re-delivery). recordAttempt releases the claim of the
 * key it records; an execution that dies holding one (a SIGKILLed worker) is taken over once it expires.
 */
const HELD_BY_ANOTHER = `webhook_deliveries.claim_run_id = EXCLUDED.claim_run_id
          AND webhook_deliveries.claim_attempt = EXCLUDED.claim_attempt
          AND webhook_deliveries.claim_until > now()`;
const KEY_RECORDED = `EXISTS (SELECT 1 FROM webhook_delivery_attempts r
                  WHERE r.delivery_id = webhook_deliveries.id AND r.run_id = EXCLUDED.claim_run_id
                    AND r.activity_attempt = EXCLUDED.claim_attempt)`;
const BEGIN_ATTEMPT_SQL = `
  WITH started AS (
    INSERT INTO webhook_deliveries
      (subscription_id, account_id, event_id, event_type, workflow_id, status, claim_run_id, claim_attempt, claim_token, claim_until)
    VALUES ($1, $2, $3, $4, $5, 'PENDING', $6::varchar, $7::int, $8::uuid, now() + make_interval(secs => $9::int / 1000.0))
    ON CONFLICT (event_id, subscription_id)
    DO UPDATE SET
      status = CASE WHEN (${HELD_BY_ANOTHER}) OR ${KEY_RECORDED} THEN webhook_deliveries.status ELSE 'PENDING' END,
      workflow_id = EXCLUDED.workflow_id,
      updated_at = now(),
      claim_run_id = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_run_id ELSE EXCLUDED.claim_run_id END,
      claim_attempt = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_attempt ELSE EXCLUDED.claim_attempt END,
      claim_token = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_token ELSE EXCLUDED.claim_token END,
      claim_until = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_until ELSE EXCLUDED.claim_until END
    RETURNING id, claim_token = $8::uuid AS claimed,
              GREATEST(0, CEIL(EXTRACT(EPOCH FROM (claim_until - now())) * 1000))::int AS held_for_ms
  )
  SELECT started.id AS delivery_id, started.claimed, started.held_for_ms,
         a.attempt AS recorded_attempt, a.status_code AS recorded_status_code, a.error AS recorded_error,
         s.id AS subscription_id, s.url, s.is_active, s.secrets, s.rate_limit_per_second,
         e.type AS event_type, e.body AS event_body
    FROM started
    LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = started.id AND a.run_id = $6::varchar AND a.activity_attempt = $7::int
    LEFT JOIN webhook_subscriptions s ON s.id = $1::uuid
    LEFT JOIN webhook_events e ON e.id = $3`;

interface BeginAttemptRow {
  delivery_id: string;
  claimed: boolean;
  held_for_ms: number;
  recorded_attempt: number | null;
  recorded_status_code: number | null;
  recorded_error: string | null;
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
  // The statements of every attempt, prepared once per connection (src/db/prepared-statement.ts).
  const beginAttemptStatement = preparedStatement<BeginAttemptRow>(dataSource, 'webhooks_begin_attempt', BEGIN_ATTEMPT_SQL);
  const recordSuccessStatement = preparedStatement<{ attempt: number; switched_off: boolean }>(dataSource, 'webhooks_record_success', RECORD_SUCCESS_SQL);
  const recordFailureStatement = preparedStatement<{ attempt: number; switched_off: boolean }>(dataSource, 'webhooks_record_failure', RECORD_FAILURE_SQL);

  return {
    async beginAttempt(start, claim) {
      const rows = await beginAttemptStatement([
        start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId,
        claim.runId, claim.activityAttempt, claim.token, Math.max(1, Math.ceil(claim.forMs)),
      ]);
      const row = rows[0] as BeginAttemptRow;
      return {
        deliveryId: row.delivery_id,
        claim: row.recorded_attempt !== null
          ? { state: 'recorded', recorded: { attempt: row.recorded_attempt, statusCode: row.recorded_status_code, error: row.recorded_error } }
          : row.claimed
            ? { state: 'claimed' }
            : { state: 'held', heldForMs: Math.max(1, row.held_for_ms) },
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

    async releaseClaim(deliveryId, token) {
      await dataSource.query(`UPDATE webhook_deliveries SET claim_until = NULL WHERE id = $1 AND claim_token = $2::uuid`, [deliveryId, token]);
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
      const inserted = succeeded
        ? await recordSuccessStatement(attemptParams)
        : await recordFailureStatement([
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
