/**
 * What the parts of one stream reader share: its identity in the group, its counters and gauges, the entries it has
 * in hand, the stop signal every wait and command races against, and the once-per-distinct-message error log.
 */
import type { Logger } from '../../logger';
import { errorSummary } from '../../shared/error-summary';

/** XACKs (and XCLAIM touches) per command. */
export const ACK_BATCH = 500;

export interface StreamContext {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
}

export interface StreamCounts {
  read: number;
  claimed: number;
  acked: number;
  rejectedAfterMaxDeliveries: number;
  trimmed: number;
  deletedWhilePending: number;
}

export interface StreamGauges {
  lag: number | null;
  pending: number | null;
  length: number | null;
  refreshedAt: string | null;
}

export interface StreamState {
  readonly context: StreamContext;
  readonly counts: StreamCounts;
  readonly gauges: StreamGauges;
  /** Entries in the intake now, with when they were last touched. */
  readonly inHand: Map<string, { touchedAt: number }>;
  /** In-hand slots reserved for a read or claim in progress (a blocked XREADGROUP holds its COUNT). */
  reserved: number;
}

export function createStreamState(context: StreamContext): StreamState {
  return {
    context,
    counts: { read: 0, claimed: 0, acked: 0, rejectedAfterMaxDeliveries: 0, trimmed: 0, deletedWhilePending: 0 },
    gauges: { lag: null, pending: null, length: null, refreshedAt: null },
    inHand: new Map(),
    reserved: 0,
  };
}

export const STOPPED: unique symbol = Symbol('stopped');

/** Set once, by stopReading; reading, claiming and their pauses end on it. */
export class StopSignal {
  stopping = false;
  readonly stopped: Promise<void>;
  private signal: () => void = () => undefined;

  constructor() {
    this.stopped = new Promise<void>((resolve) => {
      this.signal = resolve;
    });
  }

  stop(): void {
    this.stopping = true;
    this.signal();
  }

  /**
   * A command raced against stop: while Redis is unreachable ioredis queues commands until it reconnects, which may be
   * never, so a stop must not wait for them. An abandoned command's later failure is of no interest.
   */
  untilStopped<T>(command: Promise<T>): Promise<T | typeof STOPPED> {
    command.catch(() => undefined);
    return Promise.race([command, this.stopped.then((): typeof STOPPED => STOPPED)]);
  }

  /** A pause that a stop cuts short. */
  pause(ms: number): Promise<void> {
    return Promise.race([sleep(ms), this.stopped]);
  }
}

/** The last error, logged once per distinct message: a Redis outage retried every tick logs one line, not thousands. */
export class ErrorLog {
  lastError: string | null = null;
  private lastLogged: string | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly context: StreamContext,
  ) {}

  note(what: string, error: unknown): void {
    const message = errorSummary(error);
    this.lastError = `${what}: ${message}`;
    if (this.lastError !== this.lastLogged) {
      this.lastLogged = this.lastError;
      this.logger.error({ ...this.context, err: message }, `${what} failed; the stream reader stays up and retries`);
    }
  }

  clear(): void {
    this.lastError = null;
    this.lastLogged = null;
  }
}

/** Redis's answer names a missing consumer group (a Redis restart without persistence lost it). */
export function isNoGroup(error: unknown): boolean {
  return /NOGROUP/.test(errorSummary(error));
}

/** A pause that never keeps the process alive by itself (shutdown races it against work that finishes sooner). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
