/** The REST API: the express app on the process's infrastructure, its http server, and a graceful stop. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../api/app';
import { answerClientError } from '../api/client-error';
import { createDeliveriesRouter } from '../api/deliveries.router';
import { createSsrfUrlGuard } from '../api/url-guard';
import { requireEncryptionKey } from '../config';
import { createSecretBox, type SecretBox } from '../crypto/secret-box';
import { createDeliveryReadRepository } from '../deliveries/delivery-read.repository';
import { createTestEventSender } from '../deliveries/test-event.service';
import { createDeliveryStarter, createRedeliverer } from '../deliveries/delivery-starter';
import { createReadinessCheck, type ReadinessReport } from '../health/readiness';
import { systemResolver } from '../http/ssrf';
import { createLaneRepository } from '../lanes/lane.repository';
import { createLaneWaker } from '../lanes/lane-waker';
import { createSubscriptionRepository } from '../subscriptions/subscription.repository';
import { LANE_TURN_SIGNAL } from '../../workflows/deliver-webhook.types';
import type { Infrastructure } from './infrastructure';

/** How long in-flight requests get to finish on stop before connections are cut (within the process's stop bound). */
const REQUEST_GRACE_MS = 5_000;

export interface ApiOptions {
  /** Default config.port and config.host (tests: 0 and 127.0.0.1). */
  readonly port?: number;
  readonly host?: string;
  /** Replaces the Postgres, Redis and Temporal probes of GET /readyz. */
  readonly readiness?: () => Promise<ReadinessReport>;
}

export interface Api {
  readonly secretBox: SecretBox;
  /** The bound address, once started. */
  address(): AddressInfo;
  start(): Promise<void>;
  /** Stops taking requests and lets the in-flight ones finish (cut after REQUEST_GRACE_MS). */
  stop(): Promise<void>;
}

export function buildApi(infra: Infrastructure, options: ApiOptions = {}): Api {
  const { config, dataSource, logger } = infra;
  const secretBox = createSecretBox(requireEncryptionKey(config));
  // The lazy client: the API serves subscriptions while Temporal is down (readiness reports it).
  const temporal = infra.temporalClient();
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
    readiness: options.readiness ?? createReadinessCheck({ dataSource, redis: infra.redis(), temporal: temporal.connection }),
    metrics: infra.metrics,
    wakeLanes: createLaneWaker({
      lanes: createLaneRepository(dataSource),
      signal: (workflowId) => temporal.client.workflow.getHandle(workflowId).signal(LANE_TURN_SIGNAL),
      logger,
    }),
    deliveries: createDeliveriesRouter({
      deliveries: createDeliveryReadRepository(dataSource),
      findSubscription: (accountId, id) => subscriptions.findForAccount(accountId, id),
      redeliver: createRedeliverer({ client: temporal.client, config }),
      sendTestEvent: createTestEventSender({ dataSource, startDelivery: createDeliveryStarter({ client: temporal.client, config }) }),
    }),
  });

  const server = createServer(app);
  server.on('clientError', answerClientError);
  return {
    secretBox,
    address: () => server.address() as AddressInfo,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? config.port, options.host ?? config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const bound = server.address() as AddressInfo;
      logger.info({ host: bound.address, port: bound.port }, 'API listening');
    },
    async stop() {
      if (!server.listening) return;
      const force = setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS);
      force.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(force);
    },
  };
}
