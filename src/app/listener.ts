/**
 * The listener: the Redis ways in -> intake -> dispatcher service on the process's infrastructure, its /metrics
 * server, and by default an embedded delivery worker (WEBHOOKS_LISTENER_EMBEDDED_WORKER=false for a listener only)
 * through which deliveries start with eager workflow start. Redis and Temporal outages are logged and survived.
 */
import { createDeliveryStarter } from '../deliveries/delivery-starter';
import { startEventListenerService, type EventListenerService, type EventListenerServiceDeps } from '../events/event-listener.service';
import { registerListenerMetrics } from '../metrics/listener-metrics';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server';
import { dispatchTargetsIn } from '../subscriptions/subscription.repository';
import type { Infrastructure } from './infrastructure';
import { buildWorker } from './worker';

export interface ListenerOptions {
  /** Test and benchmark settings of the service (a dispatcher's options, the sweep, a replacement starter). */
  readonly service?: Partial<Pick<EventListenerServiceDeps, 'dispatcher' | 'sweepIntervalMs' | 'maxMessageBytes' | 'startDelivery'>>;
  /** Default config.listenerEmbeddedWorker. */
  readonly embeddedWorker?: boolean;
  /** Serve /metrics on config.metrics.listenerPort (default true). */
  readonly metricsServer?: boolean;
}

export interface Listener {
  /** The running service (tests observe it); throws before start(). */
  service(): EventListenerService;
  start(): Promise<void>;
  /**
   * Stops taking messages and finishes the ones in hand, then the embedded worker. Messages in hand that are not
   * stored when the process's stop bound cuts this short stay pending on the stream for another listener to claim;
   * Pub/Sub messages in hand are lost with the process (the lossy way in).
   */
  stop(): Promise<void>;
}

export function buildListener(infra: Infrastructure, options: ListenerOptions = {}): Listener {
  const { config, dataSource, logger } = infra;
  // The process's lazy client: the listener starts and stores events while Temporal is unreachable.
  const temporal = infra.temporalClient();
  // Its deliveries are counted in the listener's registry, served on the listener's /metrics.
  const worker = (options.embeddedWorker ?? config.listenerEmbeddedWorker) ? buildWorker(infra, { embedded: true }) : null;

  let service: EventListenerService | undefined;
  let metricsServer: MetricsServer | undefined;
  return {
    service: () => {
      if (!service) throw new Error('the listener is not started');
      return service;
    },
    async start() {
      // Until the embedded worker runs, starts go through the lazy client, without eager start.
      await worker?.start();
      const startDelivery = createDeliveryStarter({
        client: temporal.client,
        config,
        eagerClient: worker ? () => worker.eagerClient() : undefined,
      });
      const running = startEventListenerService({
        config,
        dataSource,
        findSubscriptions: dispatchTargetsIn(dataSource),
        logger,
        startDelivery,
        ...options.service,
      });
      service = running;
      // The stream reader's gauges (consumer-group lag, pending entries) beside the intake's counters.
      registerListenerMetrics(infra.metrics, running, { stream: running.stream ? () => running.stream?.status() ?? null : undefined });
      if (options.metricsServer !== false) {
        metricsServer = await startMetricsServer({ registry: infra.metrics, host: config.host, port: config.metrics.listenerPort, logger });
      }
      logger.info(
        {
          channel: config.redisChannel,
          stream: config.redisStream?.key ?? null,
          group: config.redisStream?.group ?? null,
          taskQueue: config.temporal.taskQueue,
        },
        'listener started',
      );
    },
    async stop() {
      await service?.stop();
      await worker?.stop();
      await metricsServer?.close();
    },
  };
}
