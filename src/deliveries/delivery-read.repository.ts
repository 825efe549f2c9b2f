/**
 * Read side of deliveries for the REST API, always scoped by account: another account's delivery behaves exactly
 * like a missing one. Pagination is keyset over (createdAt, id), newest first, like the subscriptions list.
 */
import type { DataSource } from 'typeorm';
import { cursorTimestampSql, newestFirstPage, type KeysetPage, type KeysetPosition } from '../db/keyset-page';
import { preparedStatement } from '../db/prepared-statement';
import { readAttemptLog } from './attempt-log';
import type { WebhookDeliveryAttempt } from './delivery-attempt.entity';
import type { StatsRange } from './delivery-stats';
import { DeliveryStatus, WebhookDelivery } from './delivery.entity';

/** How much of an event's stored body GET /deliveries/:id shows, in characters (Unicode code points). */
export const PAYLOAD_EXCERPT_CHARS = 16_384;

export interface DeliveryListOptions {
  limit: number;
  after?: KeysetPosition;
  status?: DeliveryStatus;
  /** Only the delivery of this event (at most one per subscription: the (event_id, subscription_id) unique index). */
  eventId?: string;
}

/**
 * Recover's pick: $1 subscription, $2 since, $3 until (ISO), $4 how many. Reads only the status index (it carries
 * the partition key), so it stays cheap however many failures the window holds.
 */
const PICK_FAILED_SQL = `
  SELECT id, event_received_at::text AS key, ${cursorTimestampSql('created_at')} AS position
    FROM webhook_deliveries
   WHERE subscription_id = $1 AND status = 'FAILURE' AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
   ORDER BY created_at, id
   LIMIT $4`;

/** Recover's rows: $1 account, $2 ids and $3 their partition keys (as picked), oldest first. */
const FETCH_PICKED_SQL = `
  SELECT d.id, d.subscription_id, d.account_id, d.event_id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error,
         d.workflow_id, d.ordering_key, d.lane_position, d.waiting_for, d.lane_passed_at, d.created_at, d.updated_at
    FROM webhook_deliveries d
   WHERE d.account_id = $1 AND (d.id, d.event_received_at) IN (SELECT * FROM unnest($2::uuid[], $3::timestamptz[]))
   ORDER BY d.created_at, d.id`;

interface DeliveryRow {
  id: string;
  subscription_id: string;
  account_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  workflow_id: string;
  ordering_key: string | null;
  lane_position: string | null;
  waiting_for: string | null;
  lane_passed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toDelivery = (row: DeliveryRow): WebhookDelivery =>
  Object.assign(new WebhookDelivery(), {
    id: row.id,
    subscriptionId: row.subscription_id,
    accountId: row.account_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    workflowId: row.workflow_id,
    orderingKey: row.ordering_key,
    lanePosition: row.lane_position,
    waitingFor: row.waiting_for,
    lanePassedAt: row.lane_passed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

/** $1 subscription id, $2 from, $3 to (ISO), $4 bucket size in seconds: one index-only range scan, grouped. */
export const DELIVERY_STATS_SQL = `
  SELECT date_bin($4 * interval '1 second', created_at, $2::timestamptz) AS bucket_start, status, count(*)::int AS count
    FROM webhook_deliveries
   WHERE subscription_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
   GROUP BY 1, 2`;

export interface PayloadExcerpt {
  /** The first PAYLOAD_EXCERPT_CHARS characters of the body as stored (the bytes sent), or null once it was removed. */
  payload: string | null;
  payloadTruncated: boolean;
}

export interface DeliveryReadRepository {
  listForSubscription(accountId: string, subscriptionId: string, options: DeliveryListOptions): Promise<KeysetPage<WebhookDelivery>>;
  findForAccount(accountId: string, id: string): Promise<WebhookDelivery | null>;
  /** The attempt log, in attempt order (a row whose execution died reads as interrupted: see attempt-log.ts). */
  listAttempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]>;
  /** The account's event body, capped (null when retention removed the event). */
  findPayload(accountId: string, eventId: string): Promise<PayloadExcerpt>;
  /**
   * The subscription's deliveries created in [from, to) counted by bucket (0 = the one starting at `from`) and
   * status: one index-only range scan of idx_webhook_deliveries_subscription_created_status.
   */
  countByBucket(subscriptionId: string, range: StatsRange): Promise<{ bucket: number; status: string; count: number }[]>;
  /**
   * FAILURE deliveries of the subscription created in [since, until), oldest first, at most `limit`; `nextSince` is
   * the creation time (ISO, microseconds) of the first one left out, or null when none is.
   */
  listFailedInWindow(
    accountId: string,
    subscriptionId: string,
    window: { since: string; until: string },
    limit: number,
  ): Promise<{ rows: WebhookDelivery[]; nextSince: string | null }>;
}

export function createDeliveryReadRepository(dataSource: DataSource): DeliveryReadRepository {
  const deliveries = dataSource.getRepository(WebhookDelivery);
  const pickFailed = preparedStatement<{ id: string; key: string; position: string }>(dataSource, 'webhooks_recover_pick', PICK_FAILED_SQL);
  const fetchPicked = preparedStatement<DeliveryRow>(dataSource, 'webhooks_recover_fetch', FETCH_PICKED_SQL);
  return {
    async listForSubscription(accountId, subscriptionId, options) {
      const query = deliveries
        .createQueryBuilder('d')
        .where('d.account_id = :accountId', { accountId })
        .andWhere('d.subscription_id = :subscriptionId', { subscriptionId });
      if (options.status) query.andWhere('d.status = :status', { status: options.status });
      if (options.eventId !== undefined) query.andWhere('d.event_id = :eventId', { eventId: options.eventId });
      return newestFirstPage(query, 'd', options);
    },

    findForAccount(accountId, id) {
      return deliveries.findOneBy({ id, accountId });
    },

    listAttempts(deliveryId) {
      return readAttemptLog(dataSource, deliveryId);
    },

    async findPayload(accountId, eventId) {
      const [row] = (await dataSource.query(
        `SELECT left(body, $3) AS payload, char_length(body) > $3 AS truncated FROM webhook_events WHERE id = $1 AND account_id = $2`,
        [eventId, accountId, PAYLOAD_EXCERPT_CHARS],
      )) as { payload: string; truncated: boolean }[];
      return row ? { payload: row.payload, payloadTruncated: row.truncated } : { payload: null, payloadTruncated: false };
    },

    async countByBucket(subscriptionId, range) {
      const rows = (await dataSource.query(DELIVERY_STATS_SQL, [
        subscriptionId,
        range.from.toISOString(),
        range.to.toISOString(),
        range.bucketSeconds,
      ])) as { bucket_start: Date; status: string; count: number }[];
      const size = range.bucketSeconds * 1000;
      return rows.map((row) => ({
        bucket: Math.round((row.bucket_start.getTime() - range.from.getTime()) / size),
        status: row.status,
        count: row.count,
      }));
    },

    async listFailedInWindow(accountId, subscriptionId, window, limit) {
      // First the window's FAILURE deliveries in order, narrow, from the status index alone (index-only: the
      // planner may read every failure of the window to sort them, which is cheap at this width); then the rows
      // asked for, each found in its own day's partition by its key. Both prepared: a plan over every day's
      // partition costs more to make than to run.
      const picked = await pickFailed([subscriptionId, window.since, window.until, limit + 1]);
      const shown = picked.slice(0, limit);
      const rows = shown.length === 0 ? [] : await fetchPicked([accountId, shown.map((row) => row.id), shown.map((row) => row.key)]);
      return { rows: rows.map(toDelivery), nextSince: picked[limit]?.position ?? null };
    },
  };
}
