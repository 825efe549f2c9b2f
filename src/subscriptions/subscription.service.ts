import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import type { DisabledReason, WebhookSubscription } from './subscription.entity';
import type { SubscriptionRepository } from './subscription.repository';
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
}

/** The subscription as its owner sees it: never the secrets, never the account. */
export interface SubscriptionView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  isActive: boolean;
  rateLimitPerSecond: number | null;
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
    disabledReason: subscription.disabledReason,
    disabledAt: isoOrNull(subscription.disabledAt),
    lastSuccessAt: isoOrNull(subscription.lastSuccessAt),
    failingSince: isoOrNull(subscription.failingSince),
    consecutiveFailures: subscription.consecutiveFailures,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  };
}

export interface SubscriptionService {
  /** Creates a subscription with a fresh signing secret; the plaintext secret is returned only here. */
  create(input: CreateSubscriptionInput): Promise<{ subscription: WebhookSubscription; secret: string }>;
  /** A new current secret; older live ones keep signing for `graceSeconds`. Null when not found for the account. */
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
): SubscriptionService {
  return {
    async create(input) {
      const id = randomUUID();
      const secret = generateSigningSecret();
      const subscription = await repository.insert({ ...input, id, secrets: [sealNewSecret(secretBox, id, secret, now())] });
      return { subscription, secret };
    },

    async rotateSecret(accountId, id, graceSeconds) {
      const secret = generateSigningSecret();
      const updated = await repository.updateSecrets(accountId, id, (current) => {
        const at = now();
        return rotateSecrets(current.secrets, sealNewSecret(secretBox, current.id, secret, at), at, graceSeconds);
      });
      return updated ? secret : null;
    },
  };
}
