/**
 * deliverWebhookWorkflow: one event to one subscription. Deterministic, no I/O: imports only types and pure
 * constants. The retry policy arrives in the input (computed by the starter from config).
 *
 * First attempt: sendWebhook as a local activity (it upserts the PENDING row, makes the attempt and, on a 2xx,
 * records SUCCESS with the attempt), inside the first workflow task: on success the whole delivery is one workflow
 * task and one marker event. A retryable failure: sleep for the initial interval (or the receiver's Retry-After),
 * then sendWebhook as a regular activity under the rest of the policy, so a retrying delivery is a pending activity
 * in the Temporal UI with its attempt count and last failure. Once it finally fails (or the first attempt fails
 * non-retryably): recordDeliveryFailure, and the workflow fails (the UI's Failed filter shows it; resetting it
 * re-delivers and appends attempts). The delivery's state in the UI is the workflow's ExecutionStatus: no search
 * attribute is upserted.
 *
 * Throttling: sendWebhook may answer `throttled` (the subscription's rate limit, or its endpoint holding its share of
 * the worker's in-flight requests) instead of making the attempt. Then nothing is recorded and no retry is spent: the
 * workflow sleeps on a durable timer (no worker slot held) and asks again, the local first attempt as a local
 * activity again, a later attempt as a new regular activity that continues the budget, the backoff and the attempt
 * numbers of the one that was throttled (see LaterAttemptsPlan).
 *
 * Lanes (an ordered subscription, an event with an orderingKey; `input.lane`): before its first attempt the delivery
 * asks for its turn (joinLane, a local activity). While a delivery ahead in the lane has not ended, it waits for that
 * one's `laneTurn` signal on a condition whose timer is the re-check (a lost signal cannot stall the lane): Running,
 * holding no worker slot, its details naming the delivery it waits for. Once it ended, SUCCESS or FAILURE, it passes
 * the turn (passLane) and signals the deliveries that wait for it. Deliveries without a lane never do either.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities';
import { intakeDelayMs, recheckDelayMs } from './lane-plan';
import { afterThrottledAttempt, firstRetryDelayMs, laterAttemptsPlan, planRetryPolicy } from './retry-plan';
import {
  LANE_TURN_SIGNAL,
  type AttemptFailureDetails,
  type DeliverWebhookInput,
  type DeliveryLaneInput,
  type LaneTurn,
  DeliverWebhookResult,
  type SendWebhookInput,
  type SendWebhookResult,
  type SendWebhookSent,
  type SendWebhookThrottled,
} from './deliver-webhook.types';

/** The failure write retries (bounded backoff) until the database answers: a fault must not lose the outcome. */
const bookkeeping = proxyActivities<Pick<DeliveryActivities, 'recordDeliveryFailure'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'record the delivery as FAILURE',
});

/** The lane's steps: quick database statements, retried (bounded backoff) until the database answers. */
const lanes = proxyLocalActivities<Pick<DeliveryActivities, 'joinLane' | 'passLane'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const laneTurnSignal = defineSignal(LANE_TURN_SIGNAL);

export const DELIVERY_FAILED = 'DeliveryFailed';

/** The innermost message of a failure chain: the receiver's answer or the refusal, never a stack. */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** The activity's own ApplicationFailure: a regular activity's comes wrapped in an ActivityFailure, a local one's bare. */
function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof ActivityFailure) current = current.cause;
  return current instanceof ApplicationFailure ? current : undefined;
}

/** A failed first attempt is retried unless the activity said not to (410, inactive subscription, SSRF refusal...). */
function isRetryable(error: unknown): boolean {
  if (isCancellation(error)) return false;
  const failure = applicationFailureOf(error);
  // No ApplicationFailure: a timeout of the local attempt (slow database): the regular activity takes over.
  return failure ? !failure.nonRetryable : true;
}

/** The receiver's Retry-After carried in the failed attempt's details (see the activity's AttemptFailureDetails). */
function retryAfterOf(error: unknown): number | undefined {
  const details = applicationFailureOf(error)?.details?.[0] as AttemptFailureDetails | undefined;
  return typeof details?.nextRetryDelayMs === 'number' ? details.nextRetryDelayMs : undefined;
}

/** A throttled call made no attempt. */
function isThrottled(result: SendWebhookResult): result is SendWebhookThrottled {
  return result.kind === 'throttled';
}

/** A durable timer: the workflow holds no worker slot while it waits for the limiter or the endpoint. */
function waitForTurn(throttled: SendWebhookThrottled): Promise<void> {
  return sleep(Math.max(1, Math.ceil(throttled.waitMs)));
}

async function deliver(input: DeliverWebhookInput, delivery: SendWebhookInput): Promise<SendWebhookSent> {
  const firstAttempt = proxyLocalActivities<Pick<DeliveryActivities, 'sendWebhook'>>({
    startToCloseTimeout: input.retry.firstAttemptTimeoutMs,
    retry: { maximumAttempts: 1 },
    summary: `POST ${input.eventType} to ${input.targetHost} (attempt 1)`,
  });
  let firstFailure: unknown;
  for (;;) {
    let result: SendWebhookResult;
    try {
      result = await firstAttempt.sendWebhook(delivery);
    } catch (error) {
      firstFailure = error;
      break;
    }
    if (!isThrottled(result)) return result;
    // Throttled: no attempt was made; ask again (still the first attempt) once the limiter or the endpoint allows.
    await waitForTurn(result);
  }
  let plan = laterAttemptsPlan(input.retry);
  if (!plan || !isRetryable(firstFailure)) throw firstFailure;
  await sleep(firstRetryDelayMs(input.retry, retryAfterOf(firstFailure)));
  for (;;) {
    const laterAttempts = proxyActivities<Pick<DeliveryActivities, 'sendWebhook'>>({
      startToCloseTimeout: input.retry.startToCloseTimeoutMs,
      retry: planRetryPolicy(plan),
      summary: `POST ${input.eventType} to ${input.targetHost} (attempts ${plan.attemptOffset + 1}-${input.retry.maximumAttempts})`,
    });
    const result = await laterAttempts.sendWebhook({ ...delivery, attemptOffset: plan.attemptOffset });
    if (!isThrottled(result)) return result;
    // The throttled attempt ended this activity without being made: the next one makes it, with the attempts
    // already made deducted from its budget and its attempt numbers continuing after them.
    await waitForTurn(result);
    plan = afterThrottledAttempt(plan, result.activityAttempt);
  }
}

/** Set by the `laneTurn` signal: the delivery ahead ended (or the API woke the lane). Reset before each ask. */
interface TurnSignal {
  signalled: boolean;
}

/** Waits until the delivery may make its first attempt: the intake stored what comes before it, and its lane's turn. */
async function takeTurn(delivery: SendWebhookInput, lane: DeliveryLaneInput, turnSignal: TurnSignal): Promise<void> {
  let intakeWaits = 0;
  let laneWaits = 0;
  let recheck = false;
  for (;;) {
    turnSignal.signalled = false;
    const turn: LaneTurn = await lanes.joinLane({
      eventId: delivery.eventId,
      subscriptionId: delivery.subscriptionId,
      streamEntryId: lane.streamEntryId,
      recheck,
    });
    if (turn.kind === 'go') {
      if (laneWaits > 0) setCurrentDetails(`Its turn in lane \`${lane.orderingKey}\` came after ${laneWaits} wait(s)`);
      return;
    }
    if (turn.kind === 'intake') {
      await sleep(intakeDelayMs(intakeWaits), { summary: 'wait until the events before this one on the stream are stored' });
      intakeWaits += 1;
      recheck = false;
      continue;
    }
    const ahead: string = `delivery ${turn.ahead.deliveryId} (event ${turn.ahead.eventId})`;
    setCurrentDetails(`Waiting for its turn in lane \`${lane.orderingKey}\`: after ${ahead}, workflow \`${turn.ahead.workflowId}\``);
    const signalled: boolean = await condition(() => turnSignal.signalled, recheckDelayMs(lane.recheck, laneWaits), {
      summary: `wait for ${ahead} to end (lane ${lane.orderingKey})`,
    });
    laneWaits += 1;
    recheck = !signalled;
  }
}

/** Ends the delivery's turn and signals the deliveries that waited for it (one not running any more is skipped). */
async function passTurn(delivery: SendWebhookInput): Promise<void> {
  const waiting = await lanes.passLane({ eventId: delivery.eventId, subscriptionId: delivery.subscriptionId });
  await Promise.all(
    waiting.map((workflowId) =>
      getExternalWorkflowHandle(workflowId)
        .signal(laneTurnSignal)
        .catch(() => undefined),
    ),
  );
}

export async function deliverWebhookWorkflow(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
  const delivery: SendWebhookInput = {
    eventId: input.eventId,
    subscriptionId: input.subscriptionId,
    accountId: input.accountId,
    eventType: input.eventType,
  };
  const lane = input.lane;
  const turnSignal: TurnSignal = { signalled: false };
  if (lane) setHandler(laneTurnSignal, () => void (turnSignal.signalled = true));
  let sent: SendWebhookSent;
  try {
    if (lane) await takeTurn(delivery, lane, turnSignal);
    sent = await deliver(input, delivery);
  } catch (error) {
    const reason = reasonOf(error);
    // Record the failure even when the workflow is being cancelled, then end as Failed (or Cancelled).
    await CancellationScope.nonCancellable(async () => {
      await bookkeeping.recordDeliveryFailure({ ...delivery, error: reason });
      if (lane) await passTurn(delivery);
    });
    if (isCancellation(error)) throw error;
    const failed = ApplicationFailure.create({
      message: `delivery failed: ${reason}`,
      type: DELIVERY_FAILED,
      nonRetryable: true,
      cause: error as Error,
    });
    // The UI shows the cause chain down to the receiver's answer; the sandbox's bundle paths would say nothing.
    failed.stack = '';
    throw failed;
  }
  if (lane) await passTurn(delivery);
  return { deliveryId: sent.deliveryId, status: 'SUCCESS' };
}
