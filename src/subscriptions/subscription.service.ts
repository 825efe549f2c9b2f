import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import type { DisabledReason, SignatureScheme, WebhookSubscription } from './subscription.entity';
import { openHeaders, sealHeaders, type CustomHeaders } from './custom-headers';
import type { EventFilter } from './event-filter';
import type { SubscriptionRepository } from './subscription.repository';
import { LimitReachedError } from '../shared/limit-reached';
import { generateEd25519Key, generateSigningSecret, livePublicKeys, rotateSecrets, sealNewSecret } from './signing-secrets';

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
  /** Absent: none. */
  filter?: EventFilter | null;
  /** Plaintext; sealed before it is stored. Absent: none. */
  headers?: CustomHeaders | null;
  /** Absent: hmac. */
  signatureScheme?: SignatureScheme;
}

/** The subscription as its owner sees it: never the secrets, never the account (its own custom headers, yes). */
export interface SubscriptionView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  isActive: boolean;
  rateLimitPerSecond: number | null;
  ordered: boolean;
  filter: EventFilter | null;
  headers: CustomHeaders | null;
  signatureScheme: SignatureScheme;
  /** The current ed25519 public key; null for hmac. */
  publicKey: string | null;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  lastSuccessAt: string | null;
  failingSince: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
}

const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** Opens the custom headers: only for an answer to the subscription's own account. */
export function toSubscriptionView(subscription: WebhookSubscription, secretBox: SecretBox, now: Date = new Date()): SubscriptionView {
  return {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    description: subscription.description,
    isActive: subscription.isActive,
    rateLimitPerSecond: subscription.rateLimitPerSecond,
    ordered: subscription.ordered,
    filter: subscription.filter,
    headers: openHeaders(secretBox, subscription.id, subscription.headers),
    signatureScheme: subscription.signatureScheme,
    publicKey: subscription.signatureScheme === 'ed25519' ? (livePublicKeys(subscription.secrets, now)[0] ?? null) : null,
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
  create(input: CreateSubscriptionInput): Promise<{ subscription: WebhookSubscription; credential: Credential }>;
  /**
   * A new current secret; older live ones keep signing for `graceSeconds`. Null when not found for the account.
   * Throws LimitReachedError (nothing changed) when the rotation would leave more live secrets than the bound: the
   * caller waits for older ones to expire, or rotates with graceSeconds 0 (which retires every previous secret).
   */
  rotateSecret(accountId: string, id: string, graceSeconds: number): Promise<Credential | null>;
}

/** What create and rotate show once: an hmac subscription's secret, or an ed25519 one's public key. */
export type Credential = { secret: string } | { publicKey: string };

/** A fresh signing credential for the scheme, sealed for the subscription, and what the API shows of it. */
function freshCredential(box: SecretBox, id: string, scheme: SignatureScheme, at: Date) {
  if (scheme === 'ed25519') {
    const key = generateEd25519Key();
    return { stored: sealNewSecret(box, id, key.privateKey, at, key.publicKey), shown: { publicKey: key.publicKey } };
  }
  const secret = generateSigningSecret();
  return { stored: sealNewSecret(box, id, secret, at), shown: { secret } };
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
      const signatureScheme = input.signatureScheme ?? 'hmac';
      const credential = freshCredential(secretBox, id, signatureScheme, now());
      const row = {
        ...input,
        id,
        filter: input.filter ?? null,
        headers: sealHeaders(secretBox, id, input.headers ?? null),
        signatureScheme,
        secrets: [credential.stored],
      };
      const secret = credential.shown;
      const max = limits.subscriptionsPerAccount;
      if (max === undefined) return { subscription: await repository.insert(row), credential: secret };
      const subscription = await repository.insertWithinLimit(row, max);
      if (!subscription) {
        throw new LimitReachedError('subscriptions per account', max, 'delete a subscription before creating another');
      }
      return { subscription, credential: secret };
    },

    async rotateSecret(accountId, id, graceSeconds) {
      let secret: Credential | undefined;
      const updated = await repository.updateSecrets(accountId, id, (current) => {
        const at = now();
        const fresh = freshCredential(secretBox, current.id, current.signatureScheme, at);
        secret = fresh.shown;
        const rotated = rotateSecrets(current.secrets, fresh.stored, at, graceSeconds);
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
      return updated && secret ? secret : null;
    },
  };
}
