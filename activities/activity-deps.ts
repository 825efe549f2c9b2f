import type { DataSource } from 'typeorm';
import type { SecretBox } from '../src/crypto/secret-box';
import type { WebhookClient } from '../src/http/webhook-client';
import type { Logger } from '../src/logger';
import type { EndpointGate } from '../src/throttling/endpoint-gate';
import type { RateLimiter } from '../src/throttling/rate-limiter';

/** Everything the delivery activities touch, injected by the composition root (src/main-worker.ts) or a test. */
export interface ActivityDeps {
  readonly dataSource: DataSource;
  readonly secretBox: SecretBox;
  readonly http: WebhookClient;
  readonly clock: () => Date;
  readonly logger: Logger;
  /** Upper bound for a receiver's Retry-After (WEBHOOKS_RETRY_AFTER_CAP_MS). */
  readonly retryAfterCapMs: number;
  /** WEBHOOKS_DISABLE_AFTER_HOURS in ms: a subscription failing without a success for this long is switched off; null: never. */
  readonly disableAfterMs: number | null;
  /** The shared limiter of subscriptions with a rateLimitPerSecond (Redis); never asked for unlimited ones. */
  readonly rateLimiter: RateLimiter;
  /** This worker's bound on requests in flight per subscription (WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT). */
  readonly endpointGate: EndpointGate;
  /** Counts a subscription the attempt switched off (the worker metrics); nothing when absent. */
  readonly countDisabled?: (reason: 'gone' | 'failing') => void;
}
