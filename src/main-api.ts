import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createApp } from './api/app';
import { createDeliveriesRouter } from './api/deliveries.router';
import { createSsrfUrlGuard } from './api/url-guard';
import { describeConfig, loadConfig, requireEncryptionKey } from './config';
import { createSecretBox } from './crypto/secret-box';
import { createDataSource } from './db/data-source';
import { createDeliveryReadRepository } from './deliveries/delivery-read.repository';
import { createTestEventSender } from './deliveries/test-event.service';
import { createDeliveryStarter, createRedeliverer } from './events/delivery-starter';
import { createReadinessCheck } from './health/readiness';
import { systemResolver } from './http/ssrf';
import { createLogger } from './logger';
import { superviseProcess } from './shared/process-lifecycle';
import { createMetricsRegistry } from './metrics/registry';
import { createSubscriptionRepository } from './subscriptions/subscription.repository';
import { clientConnectionOptions } from './temporal/connection-options';

/** How long in-flight requests get to finish on SIGINT/SIGTERM before connections are cut (within STOP_BOUND_MS). */
const REQUEST_GRACE_MS = 5_000;

/** Composition root of the REST API process. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('webhooks-api', config.logLevel);
  const secretBox = createSecretBox(requireEncryptionKey(config));
  logger.info({ config: describeConfig(config) }, 'starting');

  const dataSource = createDataSource(config.databaseUrl);
  await dataSource.initialize();
  // Redis is held for readiness only; Temporal also serves POST /webhooks/deliveries/:id/retry.
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (error: Error) => logger.warn({ error: error.message }, 'redis connection error'));
  // Lazy: the API serves subscriptions while Temporal is down (readiness reports it) and gRPC reconnects by itself.
  const temporal = Connection.lazy(
    clientConnectionOptions(config.temporal, {
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5_000 },
    }),
  );
  const temporalClient = new Client({ connection: temporal, namespace: config.temporal.namespace });
  const subscriptions = createSubscriptionRepository(dataSource);

  const app = createApp({
    dataSource,
    config,
    logger,
    secretBox,
    urlGuard: createSsrfUrlGuard({
      requireHttps: config.delivery.requireHttps,
      allowCidrs: config.ssrfAllowCidrs,
      resolver: systemResolver,
    }),
    readiness: createReadinessCheck({ dataSource, redis, temporal }),
    metrics: createMetricsRegistry('api'),
    deliveries: createDeliveriesRouter({
      deliveries: createDeliveryReadRepository(dataSource),
      findSubscription: (accountId, id) => subscriptions.findForAccount(accountId, id),
      redeliver: createRedeliverer({ client: temporalClient, config }),
      sendTestEvent: createTestEventSender({ dataSource, startDelivery: createDeliveryStarter({ client: temporalClient, config }) }),
    }),
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const bound = server.address() as AddressInfo;
  logger.info({ host: bound.address, port: bound.port }, 'API listening');

  superviseProcess({
    logger,
    stop: async () => {
      const force = setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS);
      force.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(force);
      // An unreachable Redis would keep QUIT queued: disconnect instead.
      redis.disconnect();
      await Promise.allSettled([dataSource.destroy(), temporal.close()]);
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`webhooks-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
