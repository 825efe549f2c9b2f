/**
 * Delivery rows and their attempt log. Every write is idempotent so Temporal may replay or retry the activity
 * that makes it: the delivery is upserted on (event, subscription), an attempt on (delivery, run, activity attempt).
 * Each write is one statement (one round trip, its own transaction).
 */
import type { DataSource } from 'typeorm';
import { preparedStatement } from '../db/prepared-statement';
import type { SwitchOff } from '../subscriptions/subscription-health';
import type { SignatureScheme, StoredSecret } from '../subscriptions/subscription.entity';
import { EVENT_DAY_OF, NO_EVENT_DAY } from '../db/event-day';
import { WebhookDelivery } from './delivery.entity';
import { INTERRUPTED_ATTEMPT_ERROR, readAttemptLog } from './attempt-log';
import type { WebhookDeliveryAttempt } from './delivery-attempt.entity';

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
  /**
   * The caller may send at once if nothing else stops it (its endpoint gate let it in); default true. Then the
   * attempt's row is written, in flight, in the same statement (see `openedAttempt`).
   */
  readonly sendNow?: boolean;
}

/** The attempt this key already made (another execution of it sent and recorded it). */
export interface RecordedAttemptOutcome {
  /** Delivery-wide number of the attempt. */
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface AttemptRecord {
  /**
   * The claim token of the execution that made the attempt: its row, written before the request (beginAttempt or
   * openAttempt), gets the outcome. Without it the attempt is appended as a new row.
   */
  readonly claimToken?: string;
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
  /**
   * The number of the attempt's row written in flight before the request (claimed, and nothing stops the send: the
   * subscription active without a rate limit, a secret that never expires, the event stored, `sendNow`); null when
   * none was (then openAttempt writes it, if the attempt is sent after all).
   */
  readonly openedAttempt: number | null;
  /** Null when the subscription was deleted. */
  readonly subscription: {
    readonly id: string;
    readonly url: string;
    readonly isActive: boolean;
    readonly secrets: StoredSecret[];
    /** Null: no rate limit. */
    readonly rateLimitPerSecond: number | null;
    /** Custom headers, sealed (src/subscriptions/custom-headers.ts); null: none. */
    readonly headers: string | null;
    readonly signatureScheme: SignatureScheme;
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
   * Creates the row as PENDING, or sets an existing one back to PENDING (a reset or a re-delivery), with the claim, the
   * subscription and the event the attempt sends, in one statement: the row is upserted even when the subscription is
   * gone, as the failure is then recorded on it.
   */
  beginAttempt(start: DeliveryStart, claim: AttemptClaim): Promise<AttemptContext>;
  /**
   * Writes the attempt's row, numbered and in flight, just before its request, for an attempt beginAttempt did not
   * open (a rate-limited subscription once its limiter allowed it, or one whose secrets all expire). Returns its number.
   */
  openAttempt(deliveryId: string, claim: Pick<AttemptClaim, 'runId' | 'activityAttempt' | 'token'>): Promise<number>;
  /** Gives up this execution's claim without an attempt (the attempt was throttled): the next ask may send at once. */
  releaseClaim(deliveryId: string, token: string): Promise<void>;
  /**
   * Records the outcome of an attempt (into its row written before the request, found by `claimToken`; without one,
   * appended with the next delivery-wide number) and updates the row's counters, in one statement; with
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
 * One round trip per attempt. An attempt begun by beginAttempt (or openAttempt) already has its row, numbered and in
 * flight, written before its request: `filled` writes its outcome into that row, found by the claim token of the
 * execution that made it ($T). A second call finds it no longer in flight and changes nothing, nor the subscription's
 * health below.
 *
 * Either way the delivery's `attempts` (attempts with a recorded outcome) grows by one.
 *
 * Without a token (an attempt recorded after the fact, with no row of its own yet), the row is appended: the UPDATE
 * takes the delivery's row lock and numbers the attempt from the row's counter (`attempt_seq`); a concurrent writer of the same
 * delivery waits for that lock and, under READ COMMITTED, recomputes `attempt_seq + 1` from the committed row, so numbers
 * stay gap-free and unique (the unique index on (delivery, attempt) holds it). An attempt already recorded (same run
 * and activity attempt) updates and inserts nothing.
 */
const bumpAndAppendCtes = (T: string) => `
  filled AS (
    UPDATE webhook_delivery_attempts
       SET started_at = $4::timestamptz, duration_ms = $5::int, status_code = $6::int, error = $7::text,
           response_body = $8::text, in_flight = false
     WHERE ${T}::uuid IS NOT NULL AND delivery_id = $1::uuid AND claim_token = ${T}::uuid AND in_flight
     RETURNING attempt
  ),
  bumped AS (
    UPDATE webhook_deliveries
       SET attempts = attempts + 1,
           attempt_seq = attempt_seq + CASE WHEN ${T}::uuid IS NULL THEN 1 ELSE 0 END,
           last_status_code = $6::int, last_error = $7::text, updated_at = now(),
           status = CASE WHEN $9::boolean THEN 'SUCCESS' ELSE status END,
           claim_until = CASE WHEN (${T}::uuid IS NOT NULL AND claim_token = ${T}::uuid)
                                 OR (${T}::uuid IS NULL AND claim_run_id = $2::varchar AND claim_attempt = $3::int)
                              THEN NULL ELSE claim_until END
     WHERE id = $1::uuid
       AND CASE WHEN ${T}::uuid IS NULL
                THEN NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts
                                  WHERE delivery_id = $1::uuid AND run_id = $2::varchar AND activity_attempt = $3::int)
                ELSE EXISTS (SELECT 1 FROM filled) END
     RETURNING attempt_seq, subscription_id, event_received_at
  ),
  appended AS (
    INSERT INTO webhook_delivery_attempts
      (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, response_body, event_received_at)
    SELECT $1::uuid, $2::varchar, $3::int, bumped.attempt_seq, $4::timestamptz, $5::int, $6::int, $7::text, $8::text,
           bumped.event_received_at
      FROM bumped WHERE ${T}::uuid IS NULL
    RETURNING attempt
  ),
  recorded AS (SELECT attempt FROM appended UNION ALL SELECT attempt FROM filled)`;

/**
 * A success, plus the subscription's health: the streak cleared and lastSuccessAt set, written only when that changes
 * something (a failure streak to clear, or lastSuccessAt older than a minute). A subscription that keeps succeeding
 * costs one primary-key lookup per attempt and a row write at most once a minute.
 */
const RECORD_SUCCESS_SQL = `
  WITH ${bumpAndAppendCtes('$10')},
  recovered AS (
    UPDATE webhook_subscriptions s
       SET last_success_at = $4::timestamptz, failing_since = NULL, consecutive_failures = 0
      FROM bumped
     WHERE s.id = bumped.subscription_id
       AND (s.consecutive_failures > 0 OR s.last_success_at IS NULL OR s.last_success_at < $4::timestamptz - interval '1 minute')
  )
  SELECT attempt, false AS switched_off FROM recorded`;

/**
 * A failure, plus the subscription's health: one more consecutive failure, failingSince set if the streak starts
 * here, and the switch-off the attempt asks for ($10 reason, $11 at, $12 failing before; see
 * src/subscriptions/subscription-health.ts) applied to a subscription that is still active. The row is locked and read
 * first (FOR UPDATE, latest committed version), so exactly one attempt switches it off and stores the event ($13-$16).
 * $17: the claim token of the attempt's row (see bumpAndAppendCtes).
 */
const RECORD_FAILURE_SQL = `
  WITH ${bumpAndAppendCtes('$17')},
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
    ON CONFLICT DO NOTHING
  )
  SELECT attempt, COALESCE((SELECT off FROM health), false) AS switched_off FROM recorded`;

/**
 * The PENDING row upserted with this execution's claim, what the attempt needs, and (when it can be sent at once) the
 * attempt's row, numbered and in flight, in one statement.
 *
 * The claim makes an attempt key (run, activity attempt) send once at a time: under load a workflow task can time out
 * while its local first attempt is still running, and another worker then replays the task and runs that attempt
 * again. The upsert keeps a live claim of the same key (another execution holds it: `held`), and keeps the row's
 * status when the key already has its outcome on record (`recorded`: the other execution finished; nothing is sent
 * again and the recorded outcome is the answer). Otherwise it takes the claim until now + `forMs` and
 * sets the row PENDING (a first attempt, a reset's new run, a re-delivery). recordAttempt releases the claim of the
 * key it records; an execution that dies holding one (a SIGKILLed worker) is taken over once it expires, and the
 * attempt it was making (its row stays in flight: interrupted) is made again as an entry of its own.
 *
 * The attempt's row is written here, before the request, when the caller may send now ($10: its endpoint gate let it
 * in) and nothing else can stop it: the subscription is active, has no rate limit to ask and a secret that never
 * expires, and the event is stored. Its number is the row's `attempt_seq`, bumped in the same upsert (the row lock
 * keeps numbers gap-free and unique); `attempts` grows when its outcome is recorded. Any other attempt that is sent
 * after all opens its row with openAttempt first.
 */
const HELD_BY_ANOTHER = `webhook_deliveries.claim_run_id = EXCLUDED.claim_run_id
          AND webhook_deliveries.claim_attempt = EXCLUDED.claim_attempt
          AND webhook_deliveries.claim_until > now()`;
/**
 * An attempt on record that answers this execution without a request: its own key's outcome, or a 2xx of the same
 * run by an earlier activity attempt (that one timed out on Temporal's side while its request got its 2xx: the run's
 * delivery is done, and sending again would be a repeat the engine knows of).
 */
const ANSWERED_BY = (r: string, run: string, activityAttempt: string) =>
  `${r}.run_id = ${run} AND NOT ${r}.in_flight AND (${r}.activity_attempt = ${activityAttempt} OR ${r}.status_code BETWEEN 200 AND 299)`;
const KEY_RECORDED = `EXISTS (SELECT 1 FROM webhook_delivery_attempts r
                  WHERE r.delivery_id = webhook_deliveries.id AND r.event_received_at = webhook_deliveries.event_received_at
                    AND ${ANSWERED_BY('r', 'EXCLUDED.claim_run_id', 'EXCLUDED.claim_attempt')})`;
const BEGIN_ATTEMPT_SQL = `
  WITH sub AS (
    SELECT id, url, is_active, secrets, rate_limit_per_second, headers, signature_scheme FROM webhook_subscriptions WHERE id = $1::uuid
  ),
  ev AS (SELECT type, body, received_at FROM webhook_events WHERE id = $3::varchar LIMIT 1),
  ready AS (
    SELECT $10::boolean
           AND EXISTS (SELECT 1 FROM sub WHERE sub.is_active AND sub.rate_limit_per_second IS NULL
                                           AND sub.secrets @> '[{"expiresAt": null}]'::jsonb)
           AND EXISTS (SELECT 1 FROM ev) AS sends
  ),
  started AS (
    INSERT INTO webhook_deliveries
      (subscription_id, account_id, event_id, event_type, workflow_id, status, claim_run_id, claim_attempt, claim_token, claim_until,
       attempt_seq, event_received_at)
    SELECT $1::uuid, $2::varchar, $3::varchar, $4::varchar, $5::varchar, 'PENDING', $6::varchar, $7::int, $8::uuid,
           now() + make_interval(secs => $9::int / 1000.0), CASE WHEN ready.sends THEN 1 ELSE 0 END,
           COALESCE((SELECT received_at FROM ev), ${NO_EVENT_DAY})
      FROM ready
    ON CONFLICT (event_id, subscription_id, event_received_at)
    DO UPDATE SET
      status = CASE WHEN (${HELD_BY_ANOTHER}) OR ${KEY_RECORDED} THEN webhook_deliveries.status ELSE 'PENDING' END,
      attempt_seq = CASE WHEN (${HELD_BY_ANOTHER}) OR ${KEY_RECORDED} THEN webhook_deliveries.attempt_seq
                         ELSE webhook_deliveries.attempt_seq + EXCLUDED.attempt_seq END,
      workflow_id = EXCLUDED.workflow_id,
      updated_at = now(),
      claim_run_id = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_run_id ELSE EXCLUDED.claim_run_id END,
      claim_attempt = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_attempt ELSE EXCLUDED.claim_attempt END,
      claim_token = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_token ELSE EXCLUDED.claim_token END,
      claim_until = CASE WHEN ${HELD_BY_ANOTHER} THEN webhook_deliveries.claim_until ELSE EXCLUDED.claim_until END
    RETURNING id, attempt_seq, event_received_at, claim_token = $8::uuid AS claimed,
              GREATEST(0, CEIL(EXTRACT(EPOCH FROM (claim_until - now())) * 1000))::int AS held_for_ms
  ),
  opened AS (
    INSERT INTO webhook_delivery_attempts
      (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, error, in_flight, claim_token, event_received_at)
    SELECT started.id, $6::varchar, $7::int, started.attempt_seq, now(), 0, '${INTERRUPTED_ATTEMPT_ERROR}', true, $8::uuid,
           started.event_received_at
      FROM started, ready
     WHERE ready.sends AND started.claimed
       AND NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts r
                        WHERE r.delivery_id = started.id AND r.event_received_at = started.event_received_at
                          AND ${ANSWERED_BY('r', '$6::varchar', '$7::int')})
    RETURNING attempt
  )
  SELECT started.id AS delivery_id, started.claimed, started.held_for_ms, (SELECT attempt FROM opened) AS opened_attempt,
         a.attempt AS recorded_attempt, a.status_code AS recorded_status_code, a.error AS recorded_error,
         sub.id AS subscription_id, sub.url, sub.is_active, sub.secrets, sub.rate_limit_per_second, sub.headers, sub.signature_scheme,
         ev.type AS event_type, ev.body AS event_body
    FROM started
    LEFT JOIN LATERAL (
      SELECT r.attempt, r.status_code, r.error FROM webhook_delivery_attempts r
       WHERE r.delivery_id = started.id AND r.event_received_at = started.event_received_at
         AND ${ANSWERED_BY('r', '$6::varchar', '$7::int')}
       ORDER BY (r.status_code BETWEEN 200 AND 299) DESC NULLS LAST, r.attempt DESC LIMIT 1
    ) a ON true
    LEFT JOIN sub ON true
    LEFT JOIN ev ON true`;

/** The attempt's row, numbered and in flight, for an attempt beginAttempt could not open (see BEGIN_ATTEMPT_SQL). */
const OPEN_ATTEMPT_SQL = `
  WITH bumped AS (
    UPDATE webhook_deliveries SET attempt_seq = attempt_seq + 1 WHERE id = $1::uuid RETURNING attempt_seq, event_received_at
  )
  INSERT INTO webhook_delivery_attempts
    (delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, error, in_flight, claim_token, event_received_at)
  SELECT $1::uuid, $2::varchar, $3::int, bumped.attempt_seq, now(), 0, '${INTERRUPTED_ATTEMPT_ERROR}', true, $4::uuid,
         bumped.event_received_at
    FROM bumped
  RETURNING attempt`;

interface BeginAttemptRow {
  delivery_id: string;
  claimed: boolean;
  held_for_ms: number;
  opened_attempt: number | null;
  recorded_attempt: number | null;
  recorded_status_code: number | null;
  recorded_error: string | null;
  subscription_id: string | null;
  url: string | null;
  is_active: boolean | null;
  secrets: StoredSecret[] | null;
  rate_limit_per_second: number | null;
  headers: string | null;
  signature_scheme: SignatureScheme | null;
  event_type: string | null;
  event_body: string | null;
}

export function createDeliveryRepository(dataSource: DataSource): DeliveryRepository {
  const deliveries = dataSource.getRepository(WebhookDelivery);
  // The statements of every attempt, prepared once per connection (src/db/prepared-statement.ts).
  const beginAttemptStatement = preparedStatement<BeginAttemptRow>(dataSource, 'webhooks_begin_attempt_v5', BEGIN_ATTEMPT_SQL);
  const openAttemptStatement = preparedStatement<{ attempt: number }>(dataSource, 'webhooks_open_attempt_v2', OPEN_ATTEMPT_SQL);
  const recordSuccessStatement = preparedStatement<{ attempt: number; switched_off: boolean }>(
    dataSource,
    'webhooks_record_success_v3',
    RECORD_SUCCESS_SQL,
  );
  const recordFailureStatement = preparedStatement<{ attempt: number; switched_off: boolean }>(
    dataSource,
    'webhooks_record_failure_v3',
    RECORD_FAILURE_SQL,
  );

  return {
    async beginAttempt(start, claim) {
      const rows = await beginAttemptStatement([
        start.subscriptionId,
        start.accountId,
        start.eventId,
        start.eventType,
        start.workflowId,
        claim.runId,
        claim.activityAttempt,
        claim.token,
        Math.max(1, Math.ceil(claim.forMs)),
        claim.sendNow !== false,
      ]);
      const row = rows[0] as BeginAttemptRow;
      return {
        deliveryId: row.delivery_id,
        openedAttempt: row.opened_attempt,
        claim:
          row.recorded_attempt !== null
            ? {
                state: 'recorded',
                recorded: { attempt: row.recorded_attempt, statusCode: row.recorded_status_code, error: row.recorded_error },
              }
            : row.claimed
              ? { state: 'claimed' }
              : { state: 'held', heldForMs: Math.max(1, row.held_for_ms) },
        subscription:
          row.subscription_id === null
            ? null
            : {
                id: row.subscription_id,
                url: row.url as string,
                isActive: row.is_active === true,
                secrets: row.secrets ?? [],
                rateLimitPerSecond: row.rate_limit_per_second ?? null,
                headers: row.headers ?? null,
                signatureScheme: row.signature_scheme ?? 'hmac',
              },
        event: row.event_type === null ? null : { type: row.event_type, body: row.event_body as string },
      };
    },

    async openAttempt(deliveryId, claim) {
      const rows = await openAttemptStatement([deliveryId, claim.runId, claim.activityAttempt, claim.token]);
      if (!rows[0]) throw new Error(`delivery ${deliveryId} does not exist`);
      return rows[0].attempt;
    },

    async releaseClaim(deliveryId, token) {
      await dataSource.query(`UPDATE webhook_deliveries SET claim_until = NULL WHERE id = $1 AND claim_token = $2::uuid`, [
        deliveryId,
        token,
      ]);
    },

    async recordAttempt(deliveryId, record, options = {}) {
      const succeeded = options.succeeded === true;
      const token = record.claimToken ?? null;
      const attemptParams = [
        deliveryId,
        record.runId,
        record.activityAttempt,
        record.startedAt,
        record.durationMs,
        record.statusCode,
        record.error,
        record.responseBody,
        succeeded,
      ];
      const off = options.switchOff;
      const inserted = succeeded
        ? await recordSuccessStatement([...attemptParams, token])
        : await recordFailureStatement([
            ...attemptParams,
            off?.reason ?? null,
            off?.at ?? null,
            off?.failingBefore ?? null,
            off?.event.id ?? null,
            off?.event.accountId ?? null,
            off?.event.type ?? null,
            off?.event.body ?? null,
            token,
          ]);
      if (inserted[0]) return { attempt: inserted[0].attempt, inserted: true, switchedOff: inserted[0].switched_off };
      // Nothing appended: the attempt is already on record (a repeated call), or the delivery does not exist.
      const existing = await findAttempt(dataSource, deliveryId, record);
      if (existing === undefined) throw new Error(`delivery ${deliveryId} does not exist`);
      if (succeeded) {
        await dataSource.query(`UPDATE webhook_deliveries SET status = 'SUCCESS', last_error = NULL, updated_at = now() WHERE id = $1`, [
          deliveryId,
        ]);
      }
      return { attempt: existing, inserted: false, switchedOff: false };
    },

    async recordFailure(start, error) {
      const rows: Array<{ id: string }> = await dataSource.query(
        `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, workflow_id, status, last_error, event_received_at)
         SELECT $1::uuid, $2::varchar, $3::varchar, $4::varchar, $5::varchar, 'FAILURE', $6::text, ${EVENT_DAY_OF('$3')}
         ON CONFLICT (event_id, subscription_id, event_received_at)
         DO UPDATE SET status = 'FAILURE', last_error = EXCLUDED.last_error, workflow_id = EXCLUDED.workflow_id, updated_at = now()
         RETURNING id`,
        [start.subscriptionId, start.accountId, start.eventId, start.eventType, start.workflowId, error],
      );
      return (rows[0] as { id: string }).id;
    },

    findById: (id) => deliveries.findOneBy({ id }),
    findByEventAndSubscription: (eventId, subscriptionId) => deliveries.findOneBy({ eventId, subscriptionId }),
    listAttempts: (deliveryId) => readAttemptLog(dataSource, deliveryId),
  };
}

async function findAttempt(dataSource: DataSource, deliveryId: string, record: AttemptRecord): Promise<number | undefined> {
  const rows: Array<{ attempt: number }> = record.claimToken
    ? await dataSource.query(
        `SELECT attempt FROM webhook_delivery_attempts WHERE delivery_id = $1 AND claim_token = $2::uuid ORDER BY attempt DESC LIMIT 1`,
        [deliveryId, record.claimToken],
      )
    : await dataSource.query(
        `SELECT attempt FROM webhook_delivery_attempts WHERE delivery_id = $1 AND run_id = $2 AND activity_attempt = $3 ORDER BY attempt DESC LIMIT 1`,
        [deliveryId, record.runId, record.activityAttempt],
      );
  return rows[0]?.attempt;
}
