/**
 * One delivery attempt: upsert the delivery row (PENDING; its id gives the webhook-id) and load the subscription and
 * the event in the same statement, sign the exact stored bytes with the live secrets, POST them through the guarded client, record the
 * attempt (and, in the same statement, SUCCESS on a 2xx and the subscription's health: a success clears its failure
 * streak, a failure extends it and may switch the subscription off after a 410 or WEBHOOKS_DISABLE_AFTER_HOURS of
 * failing), then tell Temporal what to do next by the kind of ApplicationFailure thrown (retryable, non-retryable, or
 * retryable after a receiver's Retry-After).
 *
 * Before the POST, two checks may answer `throttled` instead (no attempt made, nothing recorded, no retry spent; the
 * workflow waits on a timer): this worker already has WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT requests in flight to the
 * subscription (src/throttling/endpoint-gate.ts), or the subscription's rateLimitPerSecond is used up across all
 * workers (src/throttling/rate-limiter.ts, asked only for subscriptions that have a limit).
 *
 * Every request is an entry in the attempt log: the attempt's row is written before the POST (by beginAttempt in the
 * statement it already runs, when nothing can stop the send; otherwise by openAttempt just before it) and the outcome
 * is filled in after. An execution that dies in between leaves its row in flight, read as interrupted; the execution
 * that makes the attempt again writes a row of its own. Whatever the receiver answered, recording it must not turn
 * into a second POST: a transient database error is tried again here a few times and then left to Temporal (the next
 * attempt is a request of its own, with its own entry), a data error is recorded without the answer's text.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { targetHostOf } from '../src/temporal/contract';
import type { WebhookAttempt } from '../src/http/webhook-client';
import { classifyDbError, sqlStateOf } from '../src/db/db-errors';
import {
  createDeliveryRepository,
  type AttemptRecord,
  type DeliveryRepository,
  type RecordAttemptOptions,
  type RecordedAttempt,
  type RecordedAttemptOutcome,
} from '../src/deliveries/delivery.repository';
import { errorSummary } from '../src/shared/error-summary';
import { truncateText } from '../src/shared/storable-text';
import { classifyOutcome, type AttemptResult } from '../src/http/outcome';
import { signHeaders, webhookIdFor } from '../src/http/signer';
import { openLiveSecrets } from '../src/subscriptions/signing-secrets';
import { openHeaders } from '../src/subscriptions/custom-headers';
import { switchOffFor } from '../src/subscriptions/subscription-health';
import { tracedAttemptRecords } from '../src/tracing';
import type { AttemptFailureDetails, SendWebhookInput, SendWebhookResult, ThrottleReason } from '../workflows/deliver-webhook.types';
import type { ActivityDeps } from './activity-deps';
import { presentedFailure, receiverAnswer, refusal } from './failure-presentation';
import { currentExecution } from './workflow-execution';

/** ApplicationFailure types raised by sendWebhook (visible in the Temporal UI). */
export const SendFailure = {
  SUBSCRIPTION_GONE: 'SubscriptionGone',
  SUBSCRIPTION_INACTIVE: 'SubscriptionInactive',
  EVENT_MISSING: 'EventMissing',
  NO_LIVE_SECRET: 'NoLiveSecret',
  HTTP_RETRYABLE: 'DeliveryAttemptFailed',
  HTTP_STOP: 'DeliveryRefused',
} as const;

/** The attempt log's excerpt of the receiver's body, in UTF-16 units (never ending inside a surrogate pair). */
export const RESPONSE_BODY_COLUMN_CHARS = 1024;

/** Waits before trying a recording again after a transient database error (then Temporal decides). */
const RECORD_RETRY_DELAYS_MS = [100, 400];

/** The wait when the shared rate limiter cannot be asked (Redis unreachable): the limit is kept, not skipped. */
export const LIMITER_UNAVAILABLE_WAIT_MS = 1_000;

export function createSendWebhookActivity(deps: ActivityDeps) {
  const deliveries = tracedAttemptRecords(createDeliveryRepository(deps.dataSource));

  return async function sendWebhook(input: SendWebhookInput): Promise<SendWebhookResult> {
    const execution = currentExecution();
    const { workflowId, runId } = execution;
    // Local first attempt: offset 0, Temporal attempt 1. Regular activity after it: offset 1, so keys continue at 2.
    const activityAttempt = execution.activityAttempt + (input.attemptOffset ?? 0);
    const claimToken = randomUUID();
    // A place among this worker's requests in flight to the subscription, taken before the first statement so that
    // the statement can write the attempt's row when the request may go out at once; given back after the POST.
    const gate = deps.endpointGate.tryEnter(input.subscriptionId);
    let sent: WebhookAttempt | undefined;
    let limit: LimitAnswer = { permit: null };
    let signedAt: Date;
    let attempt: number | null;
    let deliveryId: string;
    let logger: ActivityDeps['logger'];
    let subscriptionUrl: string;
    try {
      // One round trip: the PENDING row upserted (even when the subscription turns out to be gone, as the failure is
      // then recorded on it) with this execution's claim on the attempt, the subscription and the event read, and the
      // attempt's row written in flight when nothing can stop the send, in the same statement.
      const begun = await deliveries.beginAttempt(
        {
          eventId: input.eventId,
          subscriptionId: input.subscriptionId,
          accountId: input.accountId,
          eventType: input.eventType,
          workflowId,
        },
        { runId, activityAttempt, token: claimToken, forMs: execution.timeoutMs, sendNow: gate.entered },
      );
      const { subscription, event, claim } = begun;
      deliveryId = begun.deliveryId;
      attempt = begun.openedAttempt;
      // Every line of this attempt carries the workflow id and the webhook-id the receiver sees.
      const webhookId = webhookIdFor(deliveryId);
      logger = deps.logger.child({ workflowId, webhookId, deliveryId, eventType: input.eventType });
      // Another execution of this very attempt (a replayed workflow task) made it, or is making it: never send it twice.
      if (claim.state === 'recorded') return alreadyMade(claim.recorded, deliveryId, activityAttempt, logger);
      if (claim.state === 'held') {
        logger.info(
          { activityAttempt, waitMs: claim.heldForMs },
          'this attempt is being made by another execution; waiting for its outcome',
        );
        return { kind: 'throttled', reason: 'attempt_in_flight', waitMs: claim.heldForMs, activityAttempt: execution.activityAttempt };
      }
      const refuse = (message: string, type: string) => {
        logger.warn({ activityAttempt, reason: message }, 'delivery refused before sending, not retrying');
        return refusal(message, type);
      };
      if (!subscription) {
        throw refuse(`subscription ${input.subscriptionId} was deleted`, SendFailure.SUBSCRIPTION_GONE);
      }
      if (!subscription.isActive) {
        throw refuse(`subscription ${subscription.id} is inactive`, SendFailure.SUBSCRIPTION_INACTIVE);
      }
      if (!event) throw refuse(`event ${input.eventId} is not stored`, SendFailure.EVENT_MISSING);
      subscriptionUrl = subscription.url;

      const secrets = openLiveSecrets(deps.secretBox, subscription.id, subscription.secrets, deps.clock());
      if (secrets.length === 0) {
        throw refuse(`subscription ${subscription.id} has no live signing secret`, SendFailure.NO_LIVE_SECRET);
      }

      // Throttled: no attempt is made or recorded and no retry is spent; the workflow waits on a timer, asks again.
      // The claim is given up, so that the next ask of this attempt is not kept waiting for it.
      const throttled = async (reason: ThrottleReason, waitMs: number): Promise<SendWebhookResult> => {
        logger.debug({ activityAttempt, reason, waitMs }, 'delivery attempt throttled, waiting');
        await deliveries.releaseClaim(deliveryId, claimToken);
        return { kind: 'throttled', reason, waitMs, activityAttempt: execution.activityAttempt };
      };
      if (!gate.entered) return await throttled('endpoint_busy', gate.waitMs);
      // Unlimited subscriptions never ask Redis: no round trip on their path.
      if (subscription.rateLimitPerSecond !== null) {
        limit = await askRateLimiter(deps, subscription.id, subscription.rateLimitPerSecond, workflowId, logger);
      }
      if ('waitMs' in limit) return await throttled('rate_limit', limit.waitMs);
      // The attempt's row before the request (already written by beginAttempt on the common path).
      attempt ??= await deliveries.openAttempt(deliveryId, { runId, activityAttempt, token: claimToken });
      signedAt = deps.clock();
      const signed = signHeaders({
        body: event.body,
        webhookId,
        timestamp: Math.floor(signedAt.getTime() / 1000),
        eventType: event.type,
        secrets,
        scheme: subscription.signatureScheme,
      });
      // Custom headers (never logged) first: their names never collide with the engine's (reserved at the API), and
      // the engine's win anyway. A subscription without any opens nothing.
      const custom = openHeaders(deps.secretBox, subscription.id, subscription.headers);
      const headers = custom === null ? signed : { ...custom, ...signed };
      sent = await deps.http.post({ url: subscription.url, body: event.body, headers });
    } finally {
      if (gate.entered) gate.pass.leave(sent?.durationMs);
      // The answer came back (or the request failed): the send's rate-limit slot frees one window from now.
      if ('permit' in limit && limit.permit !== null) await reportAnswered(deps, input.subscriptionId, limit.permit, deps.logger);
    }
    const outcome = classifyOutcome(sent.result, { retryAfterCapMs: deps.retryAfterCapMs, now: deps.clock() });
    const statusCode = sent.result.kind === 'response' ? sent.result.statusCode : null;
    const error = outcome.kind === 'success' ? null : outcome.reason;
    const gone = outcome.kind === 'stop' && outcome.deactivateSubscription;
    // A failed attempt may switch the subscription off (410, or failing too long): decided in the same statement.
    const switchOff =
      outcome.kind === 'success'
        ? undefined
        : switchOffFor({
            subscriptionId: input.subscriptionId,
            url: subscriptionUrl,
            accountId: input.accountId,
            at: signedAt,
            gone,
            disableAfterMs: deps.disableAfterMs,
          });
    const recorded = await recordOutcome(
      deliveries,
      deliveryId,
      {
        claimToken,
        runId,
        activityAttempt,
        startedAt: signedAt,
        durationMs: sent.durationMs,
        statusCode,
        error,
        responseBody: sent.responseExcerpt === null ? null : truncateText(sent.responseExcerpt, RESPONSE_BODY_COLUMN_CHARS),
      },
      { succeeded: outcome.kind === 'success', switchOff },
      logger,
    );
    const { switchedOff } = recorded ?? { switchedOff: false };
    const attemptNumber = recorded?.attempt ?? attempt ?? 0;
    const log = { attempt: attemptNumber, activityAttempt, statusCode, durationMs: sent.durationMs };
    if (switchedOff && switchOff) {
      deps.countDisabled?.(switchOff.reason);
      logger.warn(
        { ...log, subscriptionId: input.subscriptionId, reason: switchOff.reason, eventId: switchOff.event.id },
        switchOff.reason === 'gone' ? 'receiver answered 410: subscription switched off' : 'subscription failing too long: switched off',
      );
    }
    const answer = receiverAnswer(targetHostOf(subscriptionUrl), sent);

    if (outcome.kind === 'success') {
      logger.info(log, 'delivery attempt succeeded');
      return { kind: 'sent', deliveryId, statusCode: statusCode as number, attempt: attemptNumber };
    }
    if (outcome.kind === 'stop') {
      logger.warn({ ...log, error }, 'delivery attempt refused, not retrying');
      throw presentedFailure(
        { message: outcome.reason, type: SendFailure.HTTP_STOP, nonRetryable: true, details: [detailsOf(sent.result, attemptNumber)] },
        answer,
      );
    }
    logger.info({ ...log, error, nextRetryDelayMs: outcome.nextRetryDelayMs }, 'delivery attempt failed, will retry');
    throw presentedFailure(
      {
        message: outcome.reason,
        type: SendFailure.HTTP_RETRYABLE,
        nonRetryable: false,
        nextRetryDelay: outcome.nextRetryDelayMs,
        details: [detailsOf(sent.result, attemptNumber, outcome.nextRetryDelayMs)],
      },
      answer,
    );
  };
}

/**
 * Records the answer of a request that was made: whatever went wrong in recording it must not send it again.
 *
 * - A transient database error (the connection lost, a failover) is tried again here (the statement is idempotent:
 *   it fills the attempt's row once), then thrown: Temporal retries the activity, whose next attempt is a request of
 *   its own with its own entry, while this one's row stays in flight and reads as interrupted.
 * - A data error (Postgres refused a value; the same values would be refused again) is recorded without the
 *   answer's text: the status code and a fixed reason. Should even that be refused, the attempt is left unrecorded
 *   (its row reads as interrupted) and the outcome stands: a 2xx is still a success, never a retry.
 *
 * Returns null when the attempt could not be recorded.
 */
async function recordOutcome(
  deliveries: DeliveryRepository,
  deliveryId: string,
  record: AttemptRecord,
  options: RecordAttemptOptions,
  logger: ActivityDeps['logger'],
): Promise<RecordedAttempt | null> {
  let lastError: unknown;
  for (let tries = 0; tries <= RECORD_RETRY_DELAYS_MS.length; tries += 1) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_DELAYS_MS[tries - 1]));
    try {
      return await deliveries.recordAttempt(deliveryId, record, options);
    } catch (error) {
      lastError = error;
      if (classifyDbError(error) === 'data') return recordWithoutAnswer(deliveries, deliveryId, record, options, error, logger);
      logger.warn({ err: errorSummary(error), tries: tries + 1 }, 'recording the attempt failed (transient database error)');
    }
  }
  throw lastError;
}

async function recordWithoutAnswer(
  deliveries: DeliveryRepository,
  deliveryId: string,
  record: AttemptRecord,
  options: RecordAttemptOptions,
  refused: unknown,
  logger: ActivityDeps['logger'],
): Promise<RecordedAttempt | null> {
  const sqlState = sqlStateOf(refused) ?? 'unknown';
  logger.error(
    { err: errorSummary(refused), sqlState },
    "the attempt's answer could not be stored; recording it without the answer's text",
  );
  const unstorable = `the answer could not be stored (SQLSTATE ${sqlState})`;
  const what = record.statusCode !== null ? `HTTP ${record.statusCode}` : 'request failed';
  try {
    return await deliveries.recordAttempt(
      deliveryId,
      { ...record, responseBody: null, error: options.succeeded ? unstorable : `${what}: ${unstorable}` },
      options,
    );
  } catch (error) {
    if (classifyDbError(error) === 'transient') throw error;
    logger.error({ err: errorSummary(error), sqlState: sqlStateOf(error) }, 'the attempt could not be recorded at all; its outcome stands');
    return null;
  }
}

/**
 * The outcome of an attempt another execution already made and recorded, given again without sending: its 2xx as
 * `sent`, its failure as a retryable one (the workflow goes on to the next attempt, which decides afresh).
 */
function alreadyMade(
  recorded: RecordedAttemptOutcome,
  deliveryId: string,
  activityAttempt: number,
  logger: ActivityDeps['logger'],
): SendWebhookResult {
  const { attempt, statusCode } = recorded;
  logger.info({ attempt, activityAttempt, statusCode }, 'attempt already made and recorded by another execution; not sending it again');
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { kind: 'sent', deliveryId, statusCode, attempt };
  const reason = recorded.error ?? (statusCode !== null ? `HTTP ${statusCode}` : 'attempt failed');
  throw ApplicationFailure.create({
    message: reason,
    type: SendFailure.HTTP_RETRYABLE,
    nonRetryable: false,
    details: [statusCode !== null ? { attempt, statusCode } : { attempt, error: reason }],
  });
}

/** Allowed (with the permit to report the answer with; null: no limit asked), or how long to wait. */
type LimitAnswer = { readonly permit: string | null } | { readonly waitMs: number };

/** Redis unreachable: wait and ask again rather than send past the limit. */
async function askRateLimiter(
  deps: ActivityDeps,
  subscriptionId: string,
  limit: number,
  caller: string,
  logger: ActivityDeps['logger'],
): Promise<LimitAnswer> {
  try {
    const decision = await deps.rateLimiter.acquire(subscriptionId, limit, caller);
    return decision.allowed ? { permit: decision.permit } : { waitMs: decision.waitMs };
  } catch (error) {
    logger.warn({ err: errorSummary(error), waitMs: LIMITER_UNAVAILABLE_WAIT_MS }, 'rate limiter unavailable; waiting');
    return { waitMs: LIMITER_UNAVAILABLE_WAIT_MS };
  }
}

/** A lost report only keeps the slot until the send's deadline (see rate-limiter.ts): never fail the attempt for it. */
async function reportAnswered(deps: ActivityDeps, subscriptionId: string, permit: string, logger: ActivityDeps['logger']): Promise<void> {
  try {
    await deps.rateLimiter.answered(subscriptionId, permit);
  } catch (error) {
    logger.warn({ err: errorSummary(error) }, 'rate limiter not told of the answer; its slot frees at the deadline');
  }
}

/** What the workflow reads from a failed attempt (the failure converter does not carry nextRetryDelay into it). */
function detailsOf(result: AttemptResult, attempt: number, nextRetryDelayMs?: number): AttemptFailureDetails {
  const base = result.kind === 'response' ? { attempt, statusCode: result.statusCode } : { attempt, error: result.error };
  return nextRetryDelayMs === undefined ? base : { ...base, nextRetryDelayMs };
}
