/**
 * The Temporal side of starting deliveries, shared by the dispatcher (first delivery of an event) and the
 * retry route (the same delivery again). Options come from the delivery core's `deliveryStartRequest`, so the
 * workflow id, task queue, input and search attributes are built in one place.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { StartDelivery } from '../events/dispatcher';
import { deliveryStartRequest } from '../temporal/delivery-start';
import type { RedeliverDelivery } from './redeliver-delivery';

/** A start that gets no answer within this time counts as failed (and is retried by the dispatcher). */
const DEFAULT_START_TIMEOUT_MS = 10_000;

export interface DeliveryStarterDeps {
  client: Client;
  config: Pick<Config, 'temporal' | 'delivery'>;
  startTimeoutMs?: number;
  /**
   * The embedded worker's client (src/worker/embedded-worker.ts) while that worker runs: first starts then go through
   * it with requestEagerStart. The server falls back to a normal start when the worker has no free slot, and when
   * there is no such client the start goes through `client`, as with separate listener and worker processes.
   */
  eagerClient?: () => Client | undefined;
}

/**
 * First start of a delivery: REJECT_DUPLICATE + FAIL, so an id that exists or existed starts nothing
 * (`already-started`): a re-published event is delivered once.
 */
export function createDeliveryStarter(deps: DeliveryStarterDeps): StartDelivery {
  const timeoutMs = deps.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  return async (start) => {
    const { workflowType, options } = deliveryStartRequest(deps.config, start);
    const eager = deps.eagerClient?.();
    const client = eager ?? deps.client;
    try {
      await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.start(workflowType, eager ? { ...options, requestEagerStart: true } : options),
      );
      return 'started';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
      throw error;
    }
  };
}

/**
 * The retry route: the same workflow id again with ALLOW_DUPLICATE (a closed run, completed or failed, may be
 * followed by a new one) and FAIL on conflict (a running one is left alone and reported as `running`).
 */
export function createRedeliverer(deps: DeliveryStarterDeps): RedeliverDelivery {
  const timeoutMs = deps.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  return async (delivery, subscription) => {
    const { workflowType, options } = deliveryStartRequest(deps.config, {
      eventId: delivery.eventId,
      subscriptionId: delivery.subscriptionId,
      accountId: delivery.accountId,
      eventType: delivery.eventType,
      targetUrl: subscription.url,
    });
    try {
      const handle = await deps.client.connection.withDeadline(Date.now() + timeoutMs, () =>
        deps.client.workflow.start(workflowType, {
          ...options,
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
        }),
      );
      return { outcome: 'started', runId: handle.firstExecutionRunId };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'running' };
      throw error;
    }
  };
}
