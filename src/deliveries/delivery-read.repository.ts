/**
 * Read side of deliveries for the REST API, always scoped by account: another account's delivery behaves exactly
 * like a missing one. Pagination is keyset over (createdAt, id), newest first, like the subscriptions list.
 */
import type { DataSource } from 'typeorm';
import { cursorTimestampSql, type KeysetPosition } from '../subscriptions/subscription.repository';
import { WebhookDeliveryAttempt } from './delivery-attempt.entity';
import { WebhookDelivery, type DeliveryStatus } from './delivery.entity';

export interface DeliveryListOptions {
  limit: number;
  after?: KeysetPosition;
  status?: DeliveryStatus;
}

export interface DeliveryReadRepository {
  listForSubscription(
    accountId: string,
    subscriptionId: string,
    options: DeliveryListOptions,
  ): Promise<{ rows: WebhookDelivery[]; next: KeysetPosition | null }>;
  findForAccount(accountId: string, id: string): Promise<WebhookDelivery | null>;
  /** The attempt log, in attempt order. */
  listAttempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]>;
}

export function createDeliveryReadRepository(dataSource: DataSource): DeliveryReadRepository {
  const deliveries = dataSource.getRepository(WebhookDelivery);
  const attempts = dataSource.getRepository(WebhookDeliveryAttempt);
  return {
    async listForSubscription(accountId, subscriptionId, options) {
      const query = deliveries
        .createQueryBuilder('d')
        .addSelect(cursorTimestampSql('d.created_at'), 'd_position')
        .where('d.account_id = :accountId', { accountId })
        .andWhere('d.subscription_id = :subscriptionId', { subscriptionId });
      if (options.status) query.andWhere('d.status = :status', { status: options.status });
      if (options.after) {
        query.andWhere('(d.created_at, d.id) < (CAST(:afterCreatedAt AS timestamptz), CAST(:afterId AS uuid))', {
          afterCreatedAt: options.after.createdAt,
          afterId: options.after.id,
        });
      }
      query.orderBy('d.created_at', 'DESC').addOrderBy('d.id', 'DESC').limit(options.limit + 1);
      const { entities, raw } = await query.getRawAndEntities<{ d_id: string; d_position: string }>();
      const rows = entities.slice(0, options.limit);
      const last = rows[rows.length - 1];
      const lastRaw = last ? raw.find((r) => r.d_id === last.id) : undefined;
      const hasMore = entities.length > options.limit;
      return { rows, next: hasMore && lastRaw ? { createdAt: lastRaw.d_position, id: last.id } : null };
    },

    findForAccount(accountId, id) {
      return deliveries.findOneBy({ id, accountId });
    },

    listAttempts(deliveryId) {
      return attempts.find({ where: { deliveryId }, order: { attempt: 'ASC' } });
    },
  };
}
