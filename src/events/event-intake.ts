/**
 * One raw message from either way in (the Pub/Sub channel or the stream) -> a stored, dispatched event, or a stored
 * rejection. Never throws: a bad message is logged with its reason (and its size, never its content) and kept in
 * rejected_messages under the name of the channel or stream it came from; a message that cannot be stored because
 * Postgres is briefly unavailable is retried with backoff while the process runs, and one that Postgres refuses for
 * good (a data error) is kept as a rejection with Postgres' reason. Both ways in share one intake, so its counters
 * are the listener's.
 */
import { classifyDbError } from '../db/db-errors';
import type { Logger } from '../logger';
import { backoffDelay, type Backoff } from '../shared/backoff';
import { errorSummary } from '../shared/error-summary';
import { createPauses } from '../shared/pauses';
import type { AcceptOutcome, Dispatcher } from './dispatcher';
import { parseEnvelope, type EnvelopeRules, type EventEnvelope } from './envelope';
import type { Arrival } from './event.repository';
import type { RejectedMessageRepository } from './rejected-message.repository';
import { receivingEvent } from '../tracing';

export type IntakeOutcome = AcceptOutcome | 'rejected' | 'lost';

/** `refused`: Postgres answered with an error that retrying cannot fix (its summary). */
type WriteResult = { readonly written: true } | { readonly written: false; readonly refused?: string };

export interface EventIntakeDeps {
  /** Where a message comes from when `handle` is not told (the Pub/Sub channel; tests and the benchmark). */
  channel: string;
  rules: EnvelopeRules;
  dispatcher: Dispatcher;
  rejected: RejectedMessageRepository;
  logger: Logger;
  /** Backoff for storing while Postgres fails (default 500 ms doubling to 30 s). */
  storeRetry?: { initialDelayMs: number; maxDelayMs: number };
}

/** Messages the intake finished with, by outcome, since start. */
export interface IntakeCounters {
  /** New events stored (dispatched, or kept for the background retry). */
  readonly stored: number;
  /** Events whose id was already stored (a re-publish, or the same event by the other way in). */
  readonly duplicate: number;
  readonly rejected: number;
  /** Messages that could not be stored before the listener stopped (a stream entry stays pending: not lost). */
  readonly lost: number;
}

export interface EventIntake {
  /**
   * `from`: the channel or stream the message came from (default: `channel`); `arrival`: the stream entry it came in
   * (its place in order).
   */
  handle(raw: string, from?: string, arrival?: Arrival): Promise<IntakeOutcome>;
  /**
   * Keeps a message that is not even a candidate envelope (e.g. a stream entry without an `event` field); `bytes` is
   * the original size when `raw` is only a prefix of it.
   */
  reject(raw: string, reason: string, from: string, bytes?: number): Promise<'rejected' | 'lost'>;
  counters(): IntakeCounters;
  /** Ends store retries (messages still unstored are logged as lost) and waits for messages in hand. */
  stop(): Promise<void>;
}

export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const { channel, rules, dispatcher, rejected, logger } = deps;
  const storeRetry: Backoff = { initialMs: deps.storeRetry?.initialDelayMs ?? 500, maxMs: deps.storeRetry?.maxDelayMs ?? 30_000 };
  const inHand = new Set<Promise<IntakeOutcome>>();
  /** Pauses between store retries: stop() ends them at once. */
  const pauses = createPauses();
  let stopped = false;
  const counts = { stored: 0, duplicate: 0, rejected: 0, lost: 0 };
  const count = (outcome: IntakeOutcome): IntakeOutcome => {
    if (outcome === 'dispatched' || outcome === 'deferred') counts.stored += 1;
    else counts[outcome] += 1;
    return outcome;
  };

  /**
   * Runs `write` until it succeeds, fails in a way that retrying cannot fix (a data error: `refused`), or the intake
   * stops (`lost`). Only connection loss and the like are retried (src/db/db-errors.ts).
   */
  async function persistently(what: string, context: Record<string, unknown>, write: () => Promise<unknown>): Promise<WriteResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await write();
        return { written: true };
      } catch (error) {
        if (classifyDbError(error) === 'data') {
          logger.error({ ...context, err: errorSummary(error) }, `${what} failed for good (not a connection problem); not retrying`);
          return { written: false, refused: errorSummary(error, 200) };
        }
        if (stopped) {
          logger.error(
            { ...context, err: errorSummary(error) },
            `${what} failed and the listener is stopping: message left for another listener`,
          );
          return { written: false };
        }
        const delay = backoffDelay(storeRetry, attempt);
        logger.error({ ...context, attempt, retryInMs: delay, err: errorSummary(error) }, `${what} failed; retrying`);
        await pauses.pause(delay);
      }
    }
  }

  /** `bytes`: the original message's size when `raw` is only its prefix (an oversized Pub/Sub message). */
  async function keepRejected(
    raw: string,
    reason: string,
    from: string,
    bytes = Buffer.byteLength(raw, 'utf8'),
  ): Promise<'rejected' | 'lost'> {
    logger.warn({ channel: from, bytes, reason }, 'rejected a malformed event message');
    const kept = await persistently('storing the rejected message', { channel: from, bytes }, () => rejected.store(from, raw, reason));
    if (kept.written) return 'rejected';
    if (kept.refused === undefined) return 'lost';
    // Postgres refused even the rejection: the log line above is all that is kept; the message is done with.
    logger.error(
      { channel: from, bytes, reason, storeError: kept.refused },
      'rejected message could not be kept; dropped with this log line',
    );
    return 'rejected';
  }

  async function process(raw: string, from: string, arrival: Arrival | undefined): Promise<IntakeOutcome> {
    const parsed = parseEnvelope(raw, rules);
    if (!parsed.ok) return keepRejected(raw, parsed.reason, from);
    const { envelope, body } = parsed;
    // The event's trace (continuing the publisher's traceparent while tracing is on) from its receipt.
    const attributes = { 'messaging.source.name': from, 'webhooks.event.id': envelope.id, 'webhooks.event.type': envelope.type };
    return receivingEvent(parsed.traceparent, attributes, () => storeAndDispatch(envelope, body, raw, from, arrival));
  }

  async function storeAndDispatch(
    envelope: EventEnvelope,
    body: string,
    raw: string,
    from: string,
    arrival: Arrival | undefined,
  ): Promise<IntakeOutcome> {
    const context = { eventId: envelope.id, eventType: envelope.type, accountId: envelope.accountId };
    let outcome: AcceptOutcome = 'deferred';
    const stored = await persistently('storing the event', context, async () => {
      outcome = await dispatcher.accept(envelope, body, arrival);
    });
    if (stored.written) return outcome;
    if (stored.refused === undefined) return 'lost';
    return keepRejected(raw, `the event could not be stored: ${stored.refused}`, from);
  }

  /** Whatever happens inside, a message ends with an outcome: an unexpected error keeps it as a rejection. */
  const settled = async (raw: string, from: string, work: () => Promise<IntakeOutcome>): Promise<IntakeOutcome> => {
    try {
      return await work();
    } catch (error) {
      logger.error({ channel: from, err: errorSummary(error) }, 'unexpected error in the intake; keeping the message as rejected');
      try {
        return await keepRejected(raw, `the intake failed on this message: ${errorSummary(error, 200)}`, from);
      } catch {
        return 'lost';
      }
    }
  };

  const tracked = (raw: string, from: string, work: () => Promise<IntakeOutcome>): Promise<IntakeOutcome> => {
    const counted = settled(raw, from, work).then(count);
    inHand.add(counted);
    void counted.finally(() => inHand.delete(counted));
    return counted;
  };

  return {
    handle: (raw, from = channel, arrival) => tracked(raw, from, () => process(raw, from, arrival)),
    reject: (raw, reason, from, bytes) => tracked(raw, from, () => keepRejected(raw, reason, from, bytes)) as Promise<'rejected' | 'lost'>,
    counters: () => ({ ...counts }),
    async stop() {
      stopped = true;
      pauses.endAll();
      await Promise.allSettled([...inHand]);
    },
  };
}
