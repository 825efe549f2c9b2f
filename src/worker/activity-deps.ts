/** Wires the delivery activities' dependencies from config: the one place the worker's real collaborators are built. */
import type { DataSource } from 'typeorm';
import type { ActivityDeps } from '../../activities';
import { requireEncryptionKey, type Config } from '../config';
import { createSecretBox } from '../crypto/secret-box';
import { createAllowList, createGuardedLookup, systemResolver, type Resolver } from '../http/ssrf';
import { createWebhookClient } from '../http/webhook-client';
import type { Logger } from '../logger';

export interface ActivityDepsOptions {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  /** DNS resolver for the SSRF guard (the system resolver unless a test injects one). */
  readonly resolver?: Resolver;
  readonly clock?: () => Date;
}

export function buildActivityDeps(options: ActivityDepsOptions): ActivityDeps {
  const { config } = options;
  const allowList = createAllowList(config.ssrfAllowCidrs);
  const lookup = createGuardedLookup({ resolver: options.resolver ?? systemResolver, allowList });
  return {
    dataSource: options.dataSource,
    secretBox: createSecretBox(requireEncryptionKey(config)),
    http: createWebhookClient({
      timeoutMs: config.delivery.requestTimeoutMs,
      lookup,
      allowList,
      requireHttps: config.delivery.requireHttps,
    }),
    clock: options.clock ?? (() => new Date()),
    logger: options.logger,
    retryAfterCapMs: config.delivery.retryAfterCapMs,
  };
}
