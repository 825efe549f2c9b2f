/**
 * Rows for delivery tests, written directly through TypeORM repositories (no REST API): a subscription with known
 * signing secrets (sealed exactly as the API seals them) and a stored event whose `body` is the bytes to send.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '../../src/crypto/secret-box';
import { WebhookEvent } from '../../src/events/event.entity';
import { generateSigningSecret } from '../../src/subscriptions/signing-secrets';
import { WebhookSubscription, type StoredSecret } from '../../src/subscriptions/subscription.entity';

export interface SubscriptionFixture {
  readonly subscription: WebhookSubscription;
  /** Plaintext secrets, newest first, exactly as the API would have returned them. */
  readonly secrets: string[];
}

export interface SubscriptionFixtureOptions {
  readonly url: string;
  readonly accountId?: string;
  readonly events?: string[];
  readonly isActive?: boolean;
  /** How many live secrets (more than one = a rotation in its grace period). Default 1. */
  readonly liveSecrets?: number;
}

/** A unique account id for this run. */
export function fixtureAccountId(label = 'acct'): string {
  return `${label}_${process.env.TEST_RUN_ID ?? 'local'}_${randomBytes(4).toString('hex')}`;
}

export async function insertSubscription(
  dataSource: DataSource,
  box: SecretBox,
  options: SubscriptionFixtureOptions,
): Promise<SubscriptionFixture> {
  const id = randomUUID();
  const now = Date.now();
  const secrets = Array.from({ length: options.liveSecrets ?? 1 }, () => generateSigningSecret());
  const stored: StoredSecret[] = secrets.map((secret, index) => ({
    ciphertext: box.seal(secret, id),
    createdAt: new Date(now - index * 60_000).toISOString(),
    expiresAt: index === 0 ? null : new Date(now + 24 * 60 * 60 * 1000).toISOString(),
  }));
  const repository = dataSource.getRepository(WebhookSubscription);
  const subscription = await repository.save(
    repository.create({
      id,
      accountId: options.accountId ?? fixtureAccountId(),
      url: options.url,
      events: options.events ?? ['*'],
      description: 'delivery test',
      isActive: options.isActive ?? true,
      secrets: stored,
    }),
  );
  return { subscription, secrets };
}

export interface EventFixtureOptions {
  readonly accountId: string;
  readonly type?: string;
  readonly data?: Record<string, unknown>;
}

/** Stores an event with its envelope serialised once into `body`, as the listener does. */
export async function insertEvent(dataSource: DataSource, options: EventFixtureOptions): Promise<WebhookEvent> {
  const id = `evt_${randomBytes(8).toString('hex')}`;
  const type = options.type ?? 'NEW_MESSAGE_FROM_VISITOR';
  const envelope = {
    id,
    type,
    accountId: options.accountId,
    occurredAt: new Date().toISOString(),
    data: options.data ?? { conversationId: 'c_1', text: 'Hello ✓ — “quoted”' },
  };
  const repository = dataSource.getRepository(WebhookEvent);
  return repository.save(repository.create({ id, accountId: options.accountId, type, body: JSON.stringify(envelope), dispatchedAt: null }));
}
