/**
 * One raw message from either way in (the Pub/Sub channel or the stream) -> a stored, dispatched event, or a stored
 * rejection. Never throws: a bad message is logged with its reason (and its size, never its content) and kept in
 * rejected_messages under the name of the channel or stream it came from; a message that cannot be stored because
 * Postgres is briefly unavailable is retried with backoff while the process runs. Both ways in share one intake, so
 * its counters are the listener's.
 */
import type { Logger } from '../logger';
import type { AcceptOutcome, Dispatcher } from './dispatcher';
import { parseEnvelope, type EnvelopeRules } from './envelope';
import type { RejectedMessageRepository } from './rejected-message.repository';

export type IntakeOutcome = AcceptOutcome | 'rejected' | 'lost';

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
  /** `from`: the channel or stream the message came from (default: `channel`). */
  handle(raw: string, from?: string): Promise<IntakeOutcome>;
  /** Keeps a message that is not even a candidate envelope (e.g. a stream entry without an `event` field). */
  reject(raw: string, reason: string, from: string): Promise<'rejected' | 'lost'>;
  counters(): IntakeCounters;
  /** Ends store retries (messages still unstored are logged as lost) and waits for messages in hand. */
  stop(): Promise<void>;
}

export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const { channel, rules, dispatcher, rejected, logger } = deps;
  const initialDelayMs = deps.storeRetry?.initialDelayMs ?? 500;
  const maxDelayMs = deps.storeRetry?.maxDelayMs ?? 30_000;
  const inHand = new Set<Promise<IntakeOutcome>>();
  const wakeUps = new Set<() => void>();
  let stopped = false;
  const counts = { stored: 0, duplicate: 0, rejected: 0, lost: 0 };
  const count = <T extends IntakeOutcome>(outcome: T): T => {
    const kind: IntakeOutcome = outcome;
    if (kind === 'dispatched' || kind === 'deferred') counts.stored += 1;
    else counts[kind] += 1;
    return outcome;
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakeUps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeUps.add(wake);
    });

  /** Runs `write` until it succeeds or the intake stops; true when written. */
  async function persistently(what: string, context: Record<string, unknown>, write: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await write();
        return true;
      } catch (error) {
        if (stopped) {
          logger.error({ ...context, err: summarise(error) }, `${what} failed and the listener is stopping: message lost`);
          return false;
        }
        const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        logger.error({ ...context, attempt, retryInMs: delay, err: summarise(error) }, `${what} failed; retrying`);
        await pause(delay);
      }
    }
  }

  async function keepRejected(raw: string, reason: string, from: string): Promise<'rejected' | 'lost'> {
    const bytes = Buffer.byteLength(raw, 'utf8');
    logger.warn({ channel: from, bytes, reason }, 'rejected a malformed event message');
    const kept = await persistently('storing the rejected message', { channel: from, bytes }, () => rejected.store(from, raw, reason));
    return kept ? 'rejected' : 'lost';
  }

  async function process(raw: string, from: string): Promise<IntakeOutcome> {
    const parsed = parseEnvelope(raw, rules);
    if (!parsed.ok) return keepRejected(raw, parsed.reason, from);
    const { envelope, body } = parsed;
    const context = { eventId: envelope.id, eventType: envelope.type, accountId: envelope.accountId };
    let outcome: AcceptOutcome = 'deferred';
    const stored = await persistently('storing the event', context, async () => {
      outcome = await dispatcher.accept(envelope, body);
    });
    return stored ? outcome : 'lost';
  }

  const tracked = <T extends IntakeOutcome>(promise: Promise<T>): Promise<T> => {
    const counted = promise.then(count);
    inHand.add(counted);
    void counted.finally(() => inHand.delete(counted));
    return counted;
  };

  return {
    handle: (raw, from = channel) => tracked(process(raw, from)),
    reject: (raw, reason, from) => tracked(keepRejected(raw, reason, from)),
    counters: () => ({ ...counts }),
    async stop() {
      stopped = true;
      wakeUps.forEach((wake) => wake());
      await Promise.allSettled([...inHand]);
    },
  };
}

function summarise(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}
