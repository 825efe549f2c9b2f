import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import type { DisabledReason, WebhookSubscription } from './subscription.entity';
import type { SubscriptionRepository } from './subscription.repository';
import { LimitReachedError } from '../shared/limit-reached';
import { generateSigningSecret, rotateSecrets, sealNewSecret } from './signing-secrets';

export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 60 * 60;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 60 * 60;

export interface CreateSubscriptionInput {
  accountId: string;
  url: string;
  events: string[];
  description: string | null;
  isActive: boolean;
  /** Absent means no limit. */
  rateLimitPerSecond?: number | null;
  /** Absent means false. */
  ordered?: boolean;
}

/** The subscription as its owner sees it: never the secrets, never the account. */
export interface SubscriptionView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  isActive: boolean;
  rateLimitPerSecond: number | null;
  ordered: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  lastSuccessAt: string | null;
  failingSince: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toSubscriptionView(subscription: WebhookSubscription): SubscriptionView {
  return {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    description: subscription.description,
    isActive: subscription.isActive,
    rateLimitPerSecond: subscription.rateLimitPerSecond,
    ordered: subscription.ordered,
    disabledReason: subscription.disabledReason,
    disabledAt: isoOrNull(subscription.disabledAt),
    lastSuccessAt: isoOrNull(subscription.lastSuccessAt),
    failingSince: isoOrNull(subscription.failingSince),
    consecutiveFailures: subscription.consecutiveFailures,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  };
}

/** Bounds the service enforces (config.limits); absent ones are unbounded. */
export interface SubscriptionLimits {
  subscriptionsPerAccount?: number;
  liveSecretsPerSubscription?: number;
}

export interface SubscriptionService {
  /**
   * Creates a subscription with a fresh signing secret; the plaintext secret is returned only here. Throws
   * LimitReachedError when the account has its maximum of subscriptions.
   */
  create(input: CreateSubscriptionInput): Promise<{ subscription: WebhookSubscription; secret: string }>;
  /**
   * A new current secret; older live ones keep signing for `graceSeconds`. Null when not found for the account.
   * Throws LimitReachedError (nothing changed) when the rotation would leave more live secrets than the bound: the
   * caller waits for older ones to expire, or rotates with graceSeconds 0 (which retires every previous secret).
   */
  rotateSecret(accountId: string, id: string, graceSeconds: number): Promise<string | null>;
}

/**
 * Secrets are sealed with the subscription id as additional data, so the id is generated here (before the
 * insert) rather than by the database.
 */
export function createSubscriptionService(
  repository: SubscriptionRepository,
  secretBox: SecretBox,
  now: () => Date = () => new Date(),
  limits: SubscriptionLimits = {},
): SubscriptionService {
  return {
    async create(input) {
      const id = randomUUID();
      const secret = generateSigningSecret();
      const row = { ...input, id, secrets: [sealNewSecret(secretBox, id, secret, now())] };
      const max = limits.subscriptionsPerAccount;
      if (max === undefined) return { subscription: await repository.insert(row), secret };
      const subscription = await repository.insertWithinLimit(row, max);
      if (!subscription) {
        throw new LimitReachedError('subscriptions per account', max, 'delete a subscription before creating another');
      }
      return { subscription, secret };
    },

    async rotateSecret(accountId, id, graceSeconds) {
      const secret = generateSigningSecret();
      const updated = await repository.updateSecrets(accountId, id, (current) => {
        const at = now();
        const rotated = rotateSecrets(current.secrets, sealNewSecret(secretBox, current.id, secret, at), at, graceSeconds);
        const max = limits.liveSecretsPerSubscription;
        if (max !== undefined && rotated.length > max) {
          // Thrown inside the row-locked transaction: it rolls back, the secrets stay as they were.
          throw new LimitReachedError(
            'live signing secrets per subscription',
            max,
            "wait until an earlier secret's grace period ends, or rotate with graceSeconds 0 (every previous secret stops signing at once)",
          );
        }
        return rotated;
      });
      return updated ? secret : null;
    },
  };
}
