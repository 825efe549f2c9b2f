import type { DataSource } from 'typeorm';
import type { SecretBox } from '../src/crypto/secret-box';
import type { WebhookClient } from '../src/http/webhook-client';
import type { IntakeBarrier } from '../src/lanes/intake-barrier';
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
  /** Whether the stream entries before one are all stored (src/lanes/intake-barrier.ts); absent: no stream. */
  readonly intakeBarrier?: IntakeBarrier;
  /**
   * Whether a delivery's workflow is still running (a lane's re-check passes a closed one's turn on its behalf).
   * Default: asked through the worker's own client.
   */
  readonly workflowRunning?: (workflowId: string) => Promise<boolean | 'unknown'>;
  /** Counts a subscription the attempt switched off (the worker metrics); nothing when absent. */
  readonly countDisabled?: (reason: 'gone' | 'failing') => void;
}
