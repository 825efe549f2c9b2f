import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { WILDCARD_EVENT } from '../events/event-catalog';
import { preparedStatement, type PreparedStatement } from '../db/prepared-statement';
import { newestFirstPage, type KeysetPage, type KeysetPosition } from '../db/keyset-page';
import { WebhookSubscription, type SignatureScheme, type StoredSecret } from './subscription.entity';
import type { EventFilter } from './event-filter';

export type { KeysetPosition };

export interface ListOptions {
  limit: number;
  after?: KeysetPosition;
  isActive?: boolean;
  /** Subscriptions that receive this event type: listing it exactly or `*` (for `*`, those listing `*`). */
  event?: string;
}

export interface NewSubscription {
  id: string;
  accountId: string;
  url: string;
  events: string[];
  description: string | null;
  isActive: boolean;
  /** Absent means no limit. */
  rateLimitPerSecond?: number | null;
  /** Absent means false. */
  ordered?: boolean;
  /** Absent: none. */
  filter?: EventFilter | null;
  /** Sealed (src/subscriptions/custom-headers.ts). Absent: none. */
  headers?: string | null;
  /** Absent: hmac. */
  signatureScheme?: SignatureScheme;
  secrets: StoredSecret[];
}

/** `headers` sealed (src/subscriptions/custom-headers.ts). */
export type SubscriptionPatch = Partial<
  Pick<WebhookSubscription, 'url' | 'events' | 'description' | 'isActive' | 'rateLimitPerSecond' | 'ordered' | 'filter' | 'headers'>
>;

/** Every method is scoped by account: another account's id behaves exactly like a missing one. */
export interface SubscriptionRepository {
  insert(subscription: NewSubscription): Promise<WebhookSubscription>;
  /**
   * Inserts unless the account already has `max` subscriptions (then null, nothing written). Concurrent inserts of
   * one account are serialised by a transaction-scoped advisory lock, so the bound holds exactly.
   */
  insertWithinLimit(subscription: NewSubscription, max: number): Promise<WebhookSubscription | null>;
  findForAccount(accountId: string, id: string): Promise<WebhookSubscription | null>;
  /** Newest first. `next` is the position to continue after, or null on the last page. */
  list(accountId: string, options: ListOptions): Promise<KeysetPage<WebhookSubscription>>;
  update(accountId: string, id: string, patch: SubscriptionPatch): Promise<WebhookSubscription | null>;
  remove(accountId: string, id: string): Promise<boolean>;
  /** The account's ed25519 subscriptions with their stored keys (for the JWKS), oldest first. */
  listSigningKeys(accountId: string): Promise<Array<Pick<WebhookSubscription, 'id' | 'secrets'>>>;
  /** Replaces the secrets under a row lock, so concurrent rotations do not lose one another's secrets. */
  updateSecrets(
    accountId: string,
    id: string,
    change: (current: WebhookSubscription) => StoredSecret[],
  ): Promise<WebhookSubscription | null>;
}

/** First key of the advisory lock that serialises one account's subscription inserts (the second is the account's hash). */
export const SUBSCRIPTIONS_LOCK_CLASS = 0x5742_0001;

/** TypeORM's deep partial does not follow a JSON object column (the filter); the row is whole and typed above. */
const asRow = (row: NewSubscription | SubscriptionPatch): QueryDeepPartialEntity<WebhookSubscription> =>
  row as QueryDeepPartialEntity<WebhookSubscription>;

export function createSubscriptionRepository(dataSource: DataSource): SubscriptionRepository {
  const repo = dataSource.getRepository(WebhookSubscription);
  return {
    async insert(subscription) {
      await repo.insert(asRow(subscription));
      return repo.findOneByOrFail({ id: subscription.id, accountId: subscription.accountId });
    },

    insertWithinLimit(subscription, max) {
      return dataSource.transaction(async (manager: EntityManager) => {
        await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SUBSCRIPTIONS_LOCK_CLASS, subscription.accountId]);
        const [{ n }] = await manager.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM webhook_subscriptions WHERE account_id = $1',
          [subscription.accountId],
        );
        if (n >= max) return null;
        await manager.insert(WebhookSubscription, asRow(subscription));
        return manager.findOneByOrFail(WebhookSubscription, { id: subscription.id, accountId: subscription.accountId });
      });
    },

    findForAccount(accountId, id) {
      return repo.findOneBy({ id, accountId });
    },

    async list(accountId, options) {
      const query = repo.createQueryBuilder('s').where('s.account_id = :accountId', { accountId });
      if (options.isActive !== undefined) query.andWhere('s.is_active = :isActive', { isActive: options.isActive });
      if (options.event !== undefined) {
        const wanted = options.event === WILDCARD_EVENT ? [WILDCARD_EVENT] : [options.event, WILDCARD_EVENT];
        query.andWhere('s.events && CAST(:wanted AS text[])', { wanted });
      }
      return newestFirstPage(query, 's', options);
    },

    async update(accountId, id, patch) {
      // Switching a subscription back on clears why the engine switched it off, and (when it was off) its failing
      // streak, so that the next failed attempt does not switch it off again at once. SET expressions read the row as
      // it was before this statement. An active subscription keeps its streak: a PATCH does not postpone auto-disable.
      const change: QueryDeepPartialEntity<WebhookSubscription> =
        patch.isActive === true
          ? {
              ...asRow(patch),
              disabledReason: null,
              disabledAt: null,
              failingSince: () => 'CASE WHEN is_active THEN failing_since ELSE NULL END',
              consecutiveFailures: () => 'CASE WHEN is_active THEN consecutive_failures ELSE 0 END',
            }
          : asRow(patch);
      const result = await repo.update({ id, accountId }, change);
      if (!result.affected) return null;
      return repo.findOneBy({ id, accountId });
    },

    async remove(accountId, id) {
      const result = await repo.delete({ id, accountId });
      return (result.affected ?? 0) > 0;
    },

    listSigningKeys(accountId) {
      return repo.find({
        select: { id: true, secrets: true },
        where: { accountId, signatureScheme: 'ed25519' },
        order: { createdAt: 'ASC', id: 'ASC' },
      });
    },

    updateSecrets(accountId, id, change) {
      return dataSource.transaction(async (manager: EntityManager) => {
        const current = await manager.findOne(WebhookSubscription, {
          where: { id, accountId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!current) return null;
        await manager.update(WebhookSubscription, { id, accountId }, { secrets: change(current) });
        return manager.findOneByOrFail(WebhookSubscription, { id, accountId });
      });
    },
  };
}

/**
 * The dispatcher's match: the active subscriptions of an account that receive an event type (listing it exactly or
 * `*`; case-sensitive, no patterns), oldest first, with only the id, the URL, `ordered` and the `filter` each start needs. One prepared
 * statement (no query building, no entity to hydrate, planned once per connection: it runs once per event);
 * `events && ARRAY[type, '*']` can use the GIN index on events.
 */
export const DISPATCH_TARGETS_SQL = `
  SELECT s.id, s.url, s.ordered, s.filter FROM webhook_subscriptions s
   WHERE s.account_id = $1 AND s.is_active = true AND s.events && $2::text[]
   ORDER BY s.created_at ASC, s.id ASC`;

export interface DispatchTarget {
  readonly id: string;
  readonly url: string;
  readonly ordered: boolean;
  /** Null for most subscriptions: then the event's data is not needed to match (src/events/dispatcher.ts). */
  readonly filter: EventFilter | null;
}

/** One prepared statement per data source, made on its first event rather than on every one. */
const dispatchTargetStatements = new WeakMap<DataSource, PreparedStatement<DispatchTarget>>();

/** The dispatcher's subscription lookup (its FindMatchingSubscriptions port) on `dataSource`. */
export function dispatchTargetsIn(dataSource: DataSource): (accountId: string, eventType: string) => Promise<DispatchTarget[]> {
  return (accountId, eventType) => findDispatchTargets(dataSource, accountId, eventType);
}

export function findDispatchTargets(dataSource: DataSource, accountId: string, eventType: string): Promise<DispatchTarget[]> {
  let statement = dispatchTargetStatements.get(dataSource);
  if (!statement) {
    statement = preparedStatement<DispatchTarget>(dataSource, 'webhooks_dispatch_targets_v3', DISPATCH_TARGETS_SQL);
    dispatchTargetStatements.set(dataSource, statement);
  }
  return statement([accountId, [eventType, WILDCARD_EVENT]]);
}
