/**
 * The bulk load of `npm run bench:data`: subscriptions of a few accounts, then per day one INSERT ... SELECT over
 * generate_series into the three partitioned parents (events, deliveries, attempts), so every row is routed to its
 * day's partition as the engine's own writes are. Rows carry what the engine writes (see data-plan.ts for who gets
 * what); every per-row choice is a hash of the row's sequence number, so a stage can be recomputed and the attempts
 * reference their delivery's id without reading it back.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createSecretBox } from '../src/crypto/secret-box';
import { generateSigningSecret, sealNewSecret } from '../src/subscriptions/signing-secrets';
import { EVENT_CATALOG } from '../src/events/event-catalog';
import type { DayPlan, FillStage, SubscriptionPlan } from './data-plan';

/** The catalog's types but the subscription-disabled announcement (the engine writes that one itself). */
const EVENT_TYPES = EVENT_CATALOG.map((e) => e.type).filter((type) => type !== 'SUBSCRIPTION_DISABLED');

/**
 * The subscriptions, as the API stores them (a sealed signing secret that never expires: beginAttempt opens the
 * attempt in the same statement only then), with the health the engine would have recorded: the failing one has
 * been failing for 3 hours.
 */
export async function insertSubscriptions(dataSource: DataSource, plan: SubscriptionPlan[], now: Date): Promise<void> {
  const box = createSecretBox(randomBytes(32));
  for (const sub of plan) {
    const secrets = [sealNewSecret(box, sub.id, generateSigningSecret(), now)];
    const failing = sub.role === 'failing';
    await dataSource.query(
      `INSERT INTO webhook_subscriptions (id, account_id, url, events, description, is_active, secrets, created_at, updated_at,
                                          last_success_at, failing_since, consecutive_failures)
       VALUES ($1, $2, $3, '{*}', $4, true, $5::jsonb, $6, $6, $7, $8, $9)`,
      [
        sub.id,
        sub.accountId,
        `https://hooks.example.com/${sub.accountId}/${sub.name}`,
        sub.name,
        JSON.stringify(secrets),
        new Date(now.getTime() - 90 * 86_400_000),
        failing ? null : now,
        failing ? new Date(now.getTime() - 3 * 3_600_000) : null,
        failing ? 7 : 0,
      ],
    );
  }
}

/** A uuid that is a function of its text (md5), spread like a random one: ids the attempts can compute. */
const hashedUuid = (text: string) => `md5(${text})::uuid`;
/** A non-negative 31-bit hash of `seq` under `salt`. */
const hash = (seq: string, salt: number) => `(hashint8extended(${seq}, ${salt}) & 2147483647)`;
/** A failed attempt's status code (null: no answer), per delivery and attempt number. */
const failedCode = (seq: string, attempt: string) =>
  `(ARRAY[500, 502, 503, 504, 404, 429, NULL]::int[])[(1 + ${hash(`${seq} * 16 + ${attempt}`, 7)} % 7)::int]`;
const errorOf = (code: string) => `CASE WHEN ${code} IS NULL THEN 'timeout: no answer within 10000 ms' ELSE 'HTTP ' || ${code} END`;
/** When attempt a starts after the delivery was created: retries back off (0, 5 s, 15 s). */
const attemptOffset = (attempt: string) => `((1 << (${attempt} - 1)) - 1) * interval '5 seconds'`;

const MESSAGE =
  'Hello, I ordered the blue jacket last week and the tracking page still says the parcel is being prepared. ' +
  'Could you tell me when it will ship, and whether I can still change the delivery address to my office? ' +
  'I am away from home from Thursday to Monday, so a delivery on Friday would not reach me. If it has already ' +
  'left the warehouse, could the courier hold it at a pick-up point near the station instead? Thanks a lot, and ' +
  'sorry for the trouble: the order number is in the subject, and I paid by card on the day I placed the order. ' +
  'Also, the size guide said M but I usually wear L, so an exchange would be welcome if that is possible.';

/**
 * One stage of one day, all three tables in one statement: the day's positions that fall in the stage (every tenth,
 * or the others), each an event (~1 KB body) and its delivery to a subscription picked by hash. A delivery fails at
 * its subscription's rate; a success took one attempt (one in six took two, the first failed), a failure one to
 * three, retries backing off; times stay inside the event's day.
 *
 * Parameters: $1 day start, $2 span (ms) the day's rows are spread over, $3 rows of the day, $4 first sequence
 * number of the day, $5 stage (1: p % 10 = 0; 2: the rest), $6 subscription ids, $7 their accounts, $8 their failure
 * rates (per million), $9 event types, $10 end of the day, $11 the text the message events carry.
 */
export const FILL_DAY_SQL = `
  WITH picked AS (
    SELECT $4::bigint + p AS seq,
           $1::timestamptz + (p * $2::float8 / $3::int) * interval '1 millisecond' AS received_at
      FROM generate_series(0, $3::int - 1) AS p
     WHERE (p % 10 = 0) = ($5::int = 1)
  ),
  hashed AS (
    SELECT seq, received_at, (${hash('seq', 1)} % array_length($6::uuid[], 1) + 1)::int AS si, ${hash('seq', 2)} AS h2, ${hash('seq', 3)} AS h3
      FROM picked
  ),
  rows AS MATERIALIZED (
    SELECT seq, received_at, h2, h3,
           'evt_' || seq AS event_id,
           ${hashedUuid(`'delivery:' || seq`)} AS delivery_id,
           ${hashedUuid(`'run:' || seq`)}::text AS run_id,
           ($6::uuid[])[si] AS subscription_id,
           ($7::text[])[si] AS account_id,
           ($9::text[])[(1 + (h3 >> 8) % array_length($9::text[], 1))::int] AS type,
           h2 % 1000000 < ($8::int[])[si] AS failed,
           LEAST(received_at + (5 + h2 % 40) * interval '1 millisecond', $10::timestamptz - interval '1 millisecond') AS created_at
      FROM hashed
  ),
  sized AS MATERIALIZED (
    SELECT rows.*, (CASE WHEN failed THEN 1 + h3 % 3 ELSE 1 + (h3 % 6 = 0)::int END)::int AS attempts FROM rows
  ),
  events AS (
    INSERT INTO webhook_events (id, account_id, type, body, received_at, dispatched_at)
    SELECT event_id, account_id, type,
           '{"id":"' || event_id || '","type":"' || type || '","accountId":"' || account_id || '","occurredAt":"'
             || to_char((received_at - interval '40 milliseconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             || '","data":{"conversationId":"conv_' || to_hex(h2) || '","messageId":"msg_' || to_hex(seq)
             || '","visitorId":"visitor_' || to_hex(h3) || '","operatorId":null,"channel":"web","locale":"en-GB",'
             || '"page":{"url":"https://shop.example.com/orders/' || (h2 % 900000 + 100000) || '","title":"Where is my order?"},'
             || '"text":"' || left($11::text, 500 + (h3 % 200)::int) || '","attachments":[],"tags":["returning","web"]}}',
           received_at, received_at + interval '2 milliseconds'
      FROM sized
  ),
  deliveries AS (
    INSERT INTO webhook_deliveries
      (id, subscription_id, account_id, event_id, event_type, status, attempts, last_status_code, last_error, workflow_id,
       created_at, updated_at, claim_run_id, claim_attempt, claim_token, claim_until, attempt_seq, event_received_at)
    SELECT delivery_id, subscription_id, account_id, event_id, type,
           CASE WHEN failed THEN 'FAILURE' ELSE 'SUCCESS' END, attempts,
           CASE WHEN failed THEN ${failedCode('seq', 'attempts')} ELSE 200 END,
           CASE WHEN failed THEN ${errorOf(failedCode('seq', 'attempts'))} END,
           'delivery:' || event_id || ':' || subscription_id,
           created_at,
           LEAST(created_at + ${attemptOffset('attempts')} + (20 + h2 % 400) * interval '1 millisecond',
                 $10::timestamptz - interval '1 millisecond'),
           run_id, attempts, ${hashedUuid(`'claim:' || seq || ':' || attempts`)}, NULL, attempts, received_at
      FROM sized
  )
  INSERT INTO webhook_delivery_attempts
    (id, delivery_id, run_id, activity_attempt, attempt, started_at, duration_ms, status_code, error, response_body, in_flight,
     claim_token, event_received_at)
  SELECT gen_random_uuid(), delivery_id, run_id, a, a, created_at + ${attemptOffset('a')}, 20 + (h2 + a * 37) % 400,
         CASE WHEN failed OR a < attempts THEN ${failedCode('seq', 'a')} ELSE 200 END,
         CASE WHEN failed OR a < attempts THEN ${errorOf(failedCode('seq', 'a'))} END,
         CASE WHEN NOT failed AND a = attempts THEN '{"received":true}'
              WHEN ${failedCode('seq', 'a')} IS NULL THEN NULL
              ELSE '<html><body><h1>' || ${failedCode('seq', 'a')} || '</h1>upstream unavailable</body></html>' END,
         false, ${hashedUuid(`'claim:' || seq || ':' || a`)}, received_at
    FROM sized, generate_series(1, attempts) AS a`;

/** A connection of the pool or one held (a QueryRunner). */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Inserts one stage of one day. */
export async function fillDay(dataSource: Queryable, day: DayPlan, stage: FillStage, subscriptions: SubscriptionPlan[]): Promise<void> {
  await dataSource.query(FILL_DAY_SQL, [
    day.start.toISOString(),
    day.spanMs,
    day.rows,
    day.firstSeq,
    stage,
    subscriptions.map((s) => s.id),
    subscriptions.map((s) => s.accountId),
    subscriptions.map((s) => s.failurePerMillion),
    EVENT_TYPES,
    new Date(Date.parse(`${day.day}T00:00:00Z`) + 86_400_000).toISOString(),
    MESSAGE,
  ]);
}
