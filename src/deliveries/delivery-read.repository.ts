/**
 * Read side of deliveries for the REST API, always scoped by account: another account's delivery behaves exactly
 * like a missing one. Pagination is keyset over (createdAt, id), newest first, like the subscriptions list.
 */
import type { DataSource } from 'typeorm';
import { cursorTimestampSql, newestFirstPage, type KeysetPage, type KeysetPosition } from '../db/keyset-page';
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
      // (subscription_id, created_at, id) index: one range scan, filtered by status.
      const { entities, raw } = await deliveries
        .createQueryBuilder('d')
        .addSelect(cursorTimestampSql('d.created_at'), 'd_position')
        .where('d.account_id = :accountId', { accountId })
        .andWhere('d.subscription_id = :subscriptionId', { subscriptionId })
        .andWhere('d.status = :status', { status: DeliveryStatus.FAILURE })
        .andWhere('d.created_at >= CAST(:since AS timestamptz) AND d.created_at < CAST(:until AS timestamptz)', window)
        .orderBy('d.created_at', 'ASC')
        .addOrderBy('d.id', 'ASC')
        .limit(limit + 1)
        .getRawAndEntities<Record<string, string>>();
      const leftOut = entities[limit];
      const nextSince = leftOut ? (raw.find((r) => r.d_id === leftOut.id)?.d_position ?? null) : null;
      return { rows: entities.slice(0, limit), nextSince };
    },
  };
}
