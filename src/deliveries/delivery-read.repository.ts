/**
 * Read side of deliveries for the REST API, always scoped by account: another account's delivery behaves exactly
 * like a missing one. Pagination is keyset over (createdAt, id), newest first, like the subscriptions list.
 */
import type { DataSource } from 'typeorm';
import { cursorTimestampSql, newestFirstPage, type KeysetPage, type KeysetPosition } from '../db/keyset-page';
import { readAttemptLog } from './attempt-log';
import type { WebhookDeliveryAttempt } from './delivery-attempt.entity';
import { DeliveryStatus, WebhookDelivery } from './delivery.entity';

export interface DeliveryListOptions {
  limit: number;
  after?: KeysetPosition;
  status?: DeliveryStatus;
}

export interface DeliveryReadRepository {
  listForSubscription(accountId: string, subscriptionId: string, options: DeliveryListOptions): Promise<KeysetPage<WebhookDelivery>>;
  findForAccount(accountId: string, id: string): Promise<WebhookDelivery | null>;
  /** The attempt log, in attempt order (a row whose execution died reads as interrupted: see attempt-log.ts). */
  listAttempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]>;
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
      return newestFirstPage(query, 'd', options);
    },

    findForAccount(accountId, id) {
      return deliveries.findOneBy({ id, accountId });
    },

    listAttempts(deliveryId) {
      return readAttemptLog(dataSource, deliveryId);
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
