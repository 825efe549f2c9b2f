/** Wires the delivery activities' dependencies from config: the one place the worker's real collaborators are built. */
import type { DataSource } from 'typeorm';
import type { ActivityDeps } from '../../activities';
import { requireEncryptionKey, type Config } from '../config';
import { createSecretBox } from '../crypto/secret-box';
import { createAllowList, createGuardedLookup, systemResolver, type Resolver } from '../http/ssrf';
import { createWebhookClient } from '../http/webhook-client';
import type { Logger } from '../logger';
import { instrumentWebhookClient } from '../metrics/instrumented-webhook-client';
import type { WorkerMetrics } from '../metrics/metric-definitions';

export interface ActivityDepsOptions {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  /** DNS resolver for the SSRF guard (the system resolver unless a test injects one). */
  readonly resolver?: Resolver;
  readonly clock?: () => Date;
  /** Counts and times every HTTP attempt by outcome class; none when absent. */
  readonly metrics?: WorkerMetrics;
}

export function buildActivityDeps(options: ActivityDepsOptions): ActivityDeps {
  const { config } = options;
  const allowList = createAllowList(config.ssrfAllowCidrs);
  const lookup = createGuardedLookup({ resolver: options.resolver ?? systemResolver, allowList });
  const http = createWebhookClient({
    timeoutMs: config.delivery.requestTimeoutMs,
    lookup,
    allowList,
    requireHttps: config.delivery.requireHttps,
  });
  return {
    dataSource: options.dataSource,
    secretBox: createSecretBox(requireEncryptionKey(config)),
    http: options.metrics ? instrumentWebhookClient(http, options.metrics) : http,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger,
    retryAfterCapMs: config.delivery.retryAfterCapMs,
    disableAfterMs: config.delivery.disableAfterMs,
  };
}
