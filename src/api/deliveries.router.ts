import { Router, type Request } from 'express';
import { z } from 'zod';
import type { DeliveryReadRepository } from '../deliveries/delivery-read.repository';
import type { WebhookDeliveryAttempt } from '../deliveries/delivery-attempt.entity';
import { fillBuckets, statsRange } from '../deliveries/delivery-stats';
import { DeliveryStatus, type WebhookDelivery } from '../deliveries/delivery.entity';
import { checkRecoverWindow } from '../deliveries/recover-window';
import { createRecoverer } from '../deliveries/recover.service';
import type { RedeliverDelivery } from '../deliveries/redeliver-delivery';
import type { SendTestEvent } from '../deliveries/test-event.service';
import { TEST_EVENT_TYPE } from '../events/event-catalog';
import type { WebhookSubscription } from '../subscriptions/subscription.entity';
import { ApiError, notFound } from './api-error';
import { accountIdOf } from './auth.middleware';
import { decodeCursor, encodeCursor } from './cursor';
import { deliveryStatsQuerySchema, listDeliveriesQuerySchema, recoverSchema, sendTestEventSchema } from './deliveries.schemas';
import './deliveries.openapi';
import { DEFAULT_PAGE_SIZE } from './subscriptions.schemas';
import { parseOrThrow } from './validation';

export interface DeliveriesRouterDeps {
  deliveries: DeliveryReadRepository;
  /** The account's subscription by id, or null (another account's id is null too). */
  findSubscription: (accountId: string, id: string) => Promise<WebhookSubscription | null>;
  redeliver: RedeliverDelivery;
  /** POST /subscriptions/:id/test (src/deliveries/test-event.service.ts). */
  sendTestEvent: SendTestEvent;
  /** The clock the recover window is checked against (default: the system clock). */
  now?: () => Date;
}

const uuid = z.uuid();

/** A path id that is not a uuid cannot name anything: 404, like any other unknown id. */
function pathId(req: Request, what: string): string {
  const parsed = uuid.safeParse(req.params.id);
  if (!parsed.success) throw notFound(what);
  return parsed.data;
}

export function toDeliveryView(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    workflowId: delivery.workflowId,
    orderingKey: delivery.orderingKey,
    // Only while it waits: once its turn came (or it passed) the column is cleared, but a re-send keeps it unset too.
    waitingFor: delivery.status === 'PENDING' && delivery.lanePassedAt === null ? delivery.waitingFor : null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

const toAttemptView = (attempt: WebhookDeliveryAttempt) => ({
  attempt: attempt.attempt,
  startedAt: attempt.startedAt.toISOString(),
  durationMs: attempt.durationMs,
  statusCode: attempt.statusCode,
  error: attempt.error,
  responseBody: attempt.responseBody,
});

const inactive = (action: string) =>
  new ApiError(409, 'subscription_inactive', `the subscription is inactive; activate it before ${action}`);

/**
 * GET /subscriptions/:id/deliveries, GET /subscriptions/:id/delivery-stats, GET /deliveries/:id, POST /deliveries/:id/retry, POST /subscriptions/:id/test,
 * POST /subscriptions/:id/recover; all scoped by account.
 */
export function createDeliveriesRouter(deps: DeliveriesRouterDeps): Router {
  const { deliveries, findSubscription, redeliver, sendTestEvent } = deps;
  const now = deps.now ?? (() => new Date());
  const recover = createRecoverer({ deliveries, redeliver });
  const router = Router();

  /** The account's subscription named by the path, active, or 404 / 409. */
  const activeSubscription = async (req: Request, accountId: string, action: string) => {
    const subscription = await findSubscription(accountId, pathId(req, 'subscription'));
    if (!subscription) throw notFound('subscription');
    if (!subscription.isActive) throw inactive(action);
    return subscription;
  };

  router.get('/subscriptions/:id/deliveries', async (req, res) => {
    const accountId = accountIdOf(res);
    const subscriptionId = pathId(req, 'subscription');
    const query = parseOrThrow(listDeliveriesQuerySchema, req.query, 'query');
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (!(await findSubscription(accountId, subscriptionId))) throw notFound('subscription');
    const page = await deliveries.listForSubscription(accountId, subscriptionId, {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      after,
      status: query.status,
      eventId: query.eventId,
    });
    res.json({ data: page.rows.map(toDeliveryView), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/subscriptions/:id/delivery-stats', async (req, res) => {
    const accountId = accountIdOf(res);
    const subscriptionId = pathId(req, 'subscription');
    const query = parseOrThrow(deliveryStatsQuerySchema, req.query, 'query');
    if (!(await findSubscription(accountId, subscriptionId))) throw notFound('subscription');
    const window = query.window ?? '24h';
    const range = statsRange(window, now());
    const { buckets, totals } = fillBuckets(range, await deliveries.countByBucket(subscriptionId, range));
    res.json({
      window,
      bucketSeconds: range.bucketSeconds,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      buckets,
      totals,
    });
  });

  router.get('/deliveries/:id', async (req, res) => {
    const accountId = accountIdOf(res);
    const delivery = await deliveries.findForAccount(accountId, pathId(req, 'delivery'));
    if (!delivery) throw notFound('delivery');
    const [attemptLog, payload] = await Promise.all([
      deliveries.listAttempts(delivery.id),
      deliveries.findPayload(accountId, delivery.eventId),
    ]);
    res.json({ ...toDeliveryView(delivery), ...payload, attemptLog: attemptLog.map(toAttemptView) });
  });

  router.post('/deliveries/:id/retry', async (req, res) => {
    const accountId = accountIdOf(res);
    const delivery = await deliveries.findForAccount(accountId, pathId(req, 'delivery'));
    if (!delivery) throw notFound('delivery');
    const subscription = await findSubscription(accountId, delivery.subscriptionId);
    if (!subscription) {
      throw new ApiError(409, 'subscription_deleted', 'the subscription of this delivery was deleted; it cannot be retried');
    }
    if (!subscription.isActive) throw inactive('retrying');
    const result = await redeliver(delivery, subscription);
    if (result.outcome === 'running') {
      throw new ApiError(409, 'delivery_in_progress', 'this delivery is still running; retry once it has finished');
    }
    res.status(202).json({ id: delivery.id, workflowId: delivery.workflowId, runId: result.runId, status: DeliveryStatus.PENDING });
  });

  router.post('/subscriptions/:id/test', async (req, res) => {
    pathId(req, 'subscription');
    const body = parseOrThrow(sendTestEventSchema, req.body ?? {}, 'request body');
    const subscription = await activeSubscription(req, accountIdOf(res), 'sending it a test event');
    res.status(202).json(await sendTestEvent(subscription, body.type ?? TEST_EVENT_TYPE));
  });

  router.post('/subscriptions/:id/recover', async (req, res) => {
    pathId(req, 'subscription');
    const body = parseOrThrow(recoverSchema, req.body ?? {}, 'request body');
    const checked = checkRecoverWindow(body, now());
    if (!checked.ok) throw new ApiError(400, 'validation_failed', 'request body is invalid', checked.problems);
    const subscription = await activeSubscription(req, accountIdOf(res), 'recovering its deliveries');
    res.status(202).json(await recover(subscription, checked.window));
  });

  return router;
}
