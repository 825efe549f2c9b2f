/**
 * The attempt log as readers see it: every request the engine made for a delivery, oldest first. A row written before
 * its request whose outcome was never filled in reads as in flight while the execution that made it still holds the
 * delivery's claim, and as interrupted once that claim has ended or passed to another execution (its worker stopped
 * between the request and recording its answer). Nothing is written for that: it is derived on read, so the hot path
 * pays nothing for it.
 */
import type { DataSource } from 'typeorm';
import { WebhookDeliveryAttempt } from './delivery-attempt.entity';

/** Stored on every row before its request is made; replaced by the outcome once it is known. */
export const INTERRUPTED_ATTEMPT_ERROR = 'interrupted: the worker stopped before the answer was recorded';
/** What a row in flight reads as (its execution still holds the claim). */
export const IN_FLIGHT_ATTEMPT_ERROR = 'in flight: no answer recorded yet';

const ATTEMPT_LOG_SQL = `
  SELECT a.id, a.delivery_id, a.run_id, a.activity_attempt, a.attempt, a.started_at, a.duration_ms, a.status_code,
         a.error, a.response_body, a.in_flight, a.claim_token,
         (a.in_flight AND d.claim_token = a.claim_token AND d.claim_until > now()) AS live
    FROM webhook_delivery_attempts a
    JOIN webhook_deliveries d ON d.id = a.delivery_id
   WHERE a.delivery_id = $1
   ORDER BY a.attempt ASC`;

interface AttemptLogRow {
  id: string;
  delivery_id: string;
  run_id: string;
  activity_attempt: number;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
  in_flight: boolean;
  claim_token: string | null;
  live: boolean;
}

export async function readAttemptLog(dataSource: DataSource, deliveryId: string): Promise<WebhookDeliveryAttempt[]> {
  const rows: AttemptLogRow[] = await dataSource.query(ATTEMPT_LOG_SQL, [deliveryId]);
  return rows.map((row) =>
    Object.assign(new WebhookDeliveryAttempt(), {
      id: row.id,
      deliveryId: row.delivery_id,
      runId: row.run_id,
      activityAttempt: row.activity_attempt,
      attempt: row.attempt,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
      statusCode: row.status_code,
      error: row.in_flight ? (row.live ? IN_FLIGHT_ATTEMPT_ERROR : INTERRUPTED_ATTEMPT_ERROR) : row.error,
      responseBody: row.response_body,
      inFlight: row.in_flight,
      claimToken: row.claim_token,
    }),
  );
}
