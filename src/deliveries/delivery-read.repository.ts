/**
 * Read side of deliveries for the REST API, always scoped by account: another account's delivery behaves exactly
 * like a missing one. Pagination is keyset over (createdAt, id), newest first, like the subscriptions list.
 */
import type { DataSource } from 'typeorm';
import { newestFirstPage, type KeysetPage, type KeysetPosition } from '../db/keyset-page';
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
  ): Promise<KeysetPage<WebhookDelivery>>;
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
        .where('d.account_id = :accountId', { accountId })
        .andWhere('d.subscription_id = :subscriptionId', { subscriptionId });
      if (options.status) query.andWhere('d.status = :status', { status: options.status });
      return newestFirstPage(query, 'd', options);
    },

    findForAccount(accountId, id) {
      return deliveries.findOneBy({ id, accountId });
    },

    listAttempts(deliveryId) {
      return attempts.find({ where: { deliveryId }, order: { attempt: 'ASC' } });
    },
  };
}
