/**
 * Event -> one Temporal workflow per matching active subscription. The event is stored first (once by id), so an
 * event that was received is never lost: while a start fails (Temporal unreachable) it is retried in the
 * background with backoff, and events still undispatched after a while (e.g. the process was killed) are picked
 * up by `sweep()`. Starting is idempotent (deterministic workflow id, duplicates rejected by Temporal), so a
 * re-publish, a sweep racing a retry, or two listeners receiving the same message all deliver once.
 *
 * An event with an orderingKey first gets its places in the lanes of the ordered subscriptions it goes to
 * (src/lanes), before `accept` resolves: the stream entry is acknowledged only after that, which is what the intake
 * barrier relies on. Its deliveries to those subscriptions start with their lane, and wait for their turn.
 */
import type { Logger } from '../logger';
import type { LaneEvent, LanePlace } from '../lanes/lane.repository';
import { classifyDbError } from '../db/db-errors';
import { backoffDelay } from '../shared/backoff';
import { errorSummary } from '../shared/error-summary';
import { createPauses } from '../shared/pauses';
import { matchesFilter, type EventFilter } from '../subscriptions/event-filter';
import type { EventEnvelope } from './envelope';
import type { Arrival, EventRepository, StoredEvent } from './event.repository';
import { inSpan } from '../tracing';

/** What is needed to start one delivery workflow. */
export interface DeliveryStart {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  readonly targetUrl: string;
  /** The delivery's lane, on an ordered subscription for an event with an orderingKey. */
  readonly lane?: DeliveryLane;
}

export interface DeliveryLane {
  readonly orderingKey: string;
  /** The stream entry the event came in (the intake barrier waits for the entries before it); null: Pub/Sub. */
  readonly streamEntryId: string | null;
}

/** `already-started`: a workflow with this id exists or existed (a re-publish); it counts as done. */
export type StartDelivery = (start: DeliveryStart) => Promise<'started' | 'already-started'>;

export interface MatchedSubscription {
  readonly id: string;
  readonly url: string;
  /** Deliveries of events with an orderingKey wait for their turn in the key's lane (absent: false). */
  readonly ordered?: boolean;
  /** Conditions on the event's data (src/subscriptions/event-filter.ts); null or absent: every event of its types. */
  readonly filter?: EventFilter | null;
}

/** The account's ACTIVE subscriptions whose `events` match the type (exact or `*`). */
export type FindMatchingSubscriptions = (accountId: string, eventType: string) => Promise<readonly MatchedSubscription[]>;

/** Places the event's deliveries to these ordered subscriptions in their lanes; returns every place it has. */
export type ReserveLanePlaces = (event: LaneEvent, subscriptionIds: readonly string[]) => Promise<LanePlace[]>;

export interface DispatcherOptions {
  /** First background retry delay after a failed dispatch (default 1 s); doubles up to `retryMaxDelayMs`. */
  retryInitialDelayMs?: number;
  /** Default 30 s. */
  retryMaxDelayMs?: number;
  /** The sweep re-dispatches undispatched events received more than this long ago (default 10 s). */
  sweepMinAgeMs?: number;
  /** Events per sweep (default 200). */
  sweepBatchSize?: number;
}

export interface DispatcherDeps {
  events: EventRepository;
  findSubscriptions: FindMatchingSubscriptions;
  /** The lanes slice's reservation; without it every delivery starts without a lane. */
  reserveLanePlaces?: ReserveLanePlaces;
  startDelivery: StartDelivery;
  logger: Logger;
  options?: DispatcherOptions;
}

export type AcceptOutcome = 'dispatched' | 'duplicate' | 'deferred';

export interface Dispatcher {
  /**
   * Stores the event (with its lane places) and starts its deliveries; when a start fails the event stays stored and
   * is retried in the background. Rejects only when storing the event or its lane places failed.
   */
  accept(envelope: EventEnvelope, body: string, arrival?: Arrival): Promise<AcceptOutcome>;
  /** Re-dispatches stored events that are still undispatched; returns how many were dispatched. */
  sweep(): Promise<number>;
  /** Events this dispatcher holds that are not dispatched yet: being dispatched now or waiting for a retry. */
  pending(): number;
  /** Totals since start: delivery workflows started (by event type) and background retries scheduled. */
  counters(): DispatcherCounters;
  /** Cancels background retries (the events stay stored for the next sweep) and waits for dispatches in flight. */
  stop(): Promise<void>;
}

export interface DispatcherCounters {
  /** Workflows this dispatcher started (an `already-started` re-publish is not counted), by event type. */
  readonly started: Readonly<Record<string, number>>;
  /** Background retries scheduled after a dispatch failed. */
  readonly retries: number;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { events, findSubscriptions, startDelivery, logger } = deps;
  const retryBackoff = { initialMs: deps.options?.retryInitialDelayMs ?? 1_000, maxMs: deps.options?.retryMaxDelayMs ?? 30_000 };
  const sweepMinAgeMs = deps.options?.sweepMinAgeMs ?? 10_000;
  const sweepBatchSize = deps.options?.sweepBatchSize ?? 200;

  /** Event ids being dispatched now or scheduled for a retry: never dispatched twice at once. */
  const busy = new Set<string>();
  const retryTimers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  const startedByType = new Map<string, number>();
  let retries = 0;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  };

  /**
   * The subscriptions whose filter the event's data satisfies (all of them when none has a filter: then the data is
   * not needed). `data` is the envelope's when in hand; otherwise it is read from the stored event, once. A filter
   * never throws (a failed evaluation is no match), so one subscription's filter never stops the others.
   */
  async function passingFilters(
    event: StoredEvent,
    subscriptions: readonly MatchedSubscription[],
    data: EventData | undefined,
  ): Promise<readonly MatchedSubscription[]> {
    if (!subscriptions.some((s) => s.filter !== null && s.filter !== undefined)) return subscriptions;
    const value = data ? data.value : await events.findData(event.id);
    const passing = subscriptions.filter((s) => matchesFilter(s.filter, value));
    if (passing.length < subscriptions.length) {
      logger.debug({ eventId: event.id, filteredOut: subscriptions.length - passing.length }, "subscriptions' filters left the event out");
    }
    return passing;
  }

  /** The deliveries to start: the matching subscriptions, those in lanes with their lane. */
  async function targetsOf(event: StoredEvent, firstDispatch: boolean, data?: EventData): Promise<DeliveryStart[]> {
    const subscriptions = await passingFilters(event, await findSubscriptions(event.accountId, event.type), data);
    const ordered = subscriptions.filter((s) => s.ordered === true).map((s) => s.id);
    const lane = event.lane;
    // A re-dispatch also looks for places taken before, whose subscriptions may no longer match: they start too, so
    // that no place is left without its workflow.
    const places =
      lane && deps.reserveLanePlaces && (ordered.length > 0 || !firstDispatch)
        ? await deps.reserveLanePlaces(
            { id: event.id, accountId: event.accountId, type: event.type, orderingKey: lane.orderingKey, position: lane.position },
            ordered,
          )
        : [];
    const base = { eventId: event.id, accountId: event.accountId, eventType: event.type };
    const inLanes = new Set(places.map((p) => p.subscriptionId));
    const unordered = subscriptions.filter((s) => !inLanes.has(s.id)).map((s) => ({ ...base, subscriptionId: s.id, targetUrl: s.url }));
    if (!lane) return unordered;
    const deliveryLane = { orderingKey: lane.orderingKey, streamEntryId: lane.streamEntryId };
    // A place whose subscription was deleted starts too (targetUrl ''): its attempt ends it, and the lane goes on.
    return [
      ...unordered,
      ...places.map((p) => ({ ...base, subscriptionId: p.subscriptionId, targetUrl: p.url ?? '', lane: deliveryLane })),
    ];
  }

  /** Starts every delivery of the event, then marks it dispatched. Throws if any start failed. */
  async function dispatchOnce(event: StoredEvent, prepared?: readonly DeliveryStart[], data?: EventData): Promise<void> {
    const targets = prepared ?? (await targetsOf(event, false, data));
    const results = await Promise.allSettled(targets.map((start) => startDelivery(start)));
    // Counted before a failure is raised: the starts that did succeed are `already-started` on the retry.
    const startedNow = results.filter((r) => r.status === 'fulfilled' && r.value === 'started').length;
    if (startedNow > 0) startedByType.set(event.type, (startedByType.get(event.type) ?? 0) + startedNow);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      throw new DispatchError(event.id, failures.length, targets.length, failures[0].reason);
    }
    await events.markDispatched(event.id);
    logger.info(
      { eventId: event.id, eventType: event.type, subscriptions: targets.length, started: startedNow },
      targets.length === 0 ? 'event matched no active subscription' : 'event dispatched',
    );
  }

  function scheduleRetry(event: StoredEvent, attempt: number): void {
    if (stopped) {
      busy.delete(event.id);
      return;
    }
    const delay = backoffDelay(retryBackoff, attempt);
    retries += 1;
    const timer = setTimeout(() => {
      retryTimers.delete(event.id);
      void track(
        inSpan('webhooks.event.dispatch', { ...spanAttributes(event), 'webhooks.dispatch.retry': attempt }, () => dispatchOnce(event)).then(
          () => busy.delete(event.id),
          (error: unknown) => {
            logger.warn({ eventId: event.id, attempt, err: describe(error) }, 'dispatch retry failed; retrying later');
            scheduleRetry(event, attempt + 1);
          },
        ),
      );
    }, delay);
    retryTimers.set(event.id, timer);
  }

  /** Dispatches now; on failure hands the event to the background retry. Resolves true when dispatched. */
  async function dispatchOrDefer(event: StoredEvent, prepared?: readonly DeliveryStart[], data?: EventData): Promise<boolean> {
    if (busy.has(event.id)) return false;
    busy.add(event.id);
    try {
      await inSpan('webhooks.event.dispatch', spanAttributes(event), () => dispatchOnce(event, prepared, data));
      busy.delete(event.id);
      return true;
    } catch (error) {
      logger.warn({ eventId: event.id, err: describe(error) }, 'dispatch failed; the event is kept and retried in the background');
      scheduleRetry(event, 1);
      return false;
    }
  }

  /**
   * Stores the event and takes its lane places (before the stream entry is acknowledged); `duplicate` when another
   * copy was stored and dispatched, or is being dispatched here.
   */
  async function storeAndPlace(
    envelope: EventEnvelope,
    body: string,
    arrival: Arrival | undefined,
  ): Promise<'duplicate' | { event: StoredEvent; prepared?: readonly DeliveryStart[]; data?: EventData }> {
    const { inserted, event } = await inSpan('webhooks.event.store', spanAttributes(envelope), () => events.store(envelope, body, arrival));
    if (!inserted && event.dispatchedAt) {
      logger.info({ eventId: event.id }, 'event already received and dispatched; ignoring the re-publish');
      return 'duplicate';
    }
    if (!inserted && busy.has(event.id)) {
      // Being dispatched right now (the same event by the other way in, the sweep, or a background retry):
      // nothing to add once its lane places are taken. Whoever holds it may not have taken them yet (the sweep
      // of an event that a killed listener stored without its places) and this copy's stream entry is
      // acknowledged when this resolves, so they are taken here too (a place taken before is kept).
      if (event.lane) await targetsOf(event, false);
      logger.info({ eventId: event.id }, 'event already received and being dispatched; ignoring the re-publish');
      return 'duplicate';
    }
    // The envelope's data is the stored event's only when this copy was the one stored (first write wins).
    const data: EventData | undefined = inserted ? { value: envelope.data } : undefined;
    // Lane places are taken before this resolves (a failure here rejects: the intake stores it again).
    const prepared = event.lane ? await targetsOf(event, inserted, data) : undefined;
    return { event, prepared, data };
  }

  /**
   * Pub/Sub events of one lane key are stored and placed one at a time, in the order they arrive: an event's place
   * then exists before the next one of its key is even stored, so a later event can never start ahead of an earlier
   * one that is not placed yet. (The stream needs none of this: the intake barrier waits for every earlier entry.)
   * Every listener receives every Pub/Sub message in the same order, and a second copy's place waits for the first
   * copy's uncommitted one, so this holds across listeners too.
   */
  const keyChains = new Map<string, Promise<void>>();
  const keyRetryBackoff = { initialMs: 50, maxMs: retryBackoff.maxMs };
  /** Pauses of keyed retries in progress: stop() ends them at once. */
  const pauses = createPauses();

  /**
   * A transient failure (Postgres unreachable, a pool timeout) of a keyed event is retried here, within its key's
   * turn, until it succeeds or the dispatcher stops: left to the intake's retry, the event would go back in the queue
   * behind the next event of its key, which would then be placed ahead of it.
   */
  async function withinTurn<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (stopped || classifyDbError(error) !== 'transient') throw error;
        const delay = backoffDelay(keyRetryBackoff, attempt);
        logger.warn({ attempt, retryInMs: delay, err: describe(error) }, 'storing a keyed event failed; retrying in its turn');
        await pauses.pause(delay);
        // Stopping: the intake decides what becomes of the message (it is left for another listener).
        if (stopped) throw error;
      }
    }
  }
  function inKeyOrder<T>(key: string | null, work: () => Promise<T>): Promise<T> {
    if (key === null) return work();
    const result = (keyChains.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    keyChains.set(key, tail);
    void tail.then(() => {
      if (keyChains.get(key) === tail) keyChains.delete(key);
    });
    return result;
  }

  /**
   * Copies of one event accepted at once in this process (by the stream and by Pub/Sub): the later ones wait for the
   * first and are duplicates of it, so that exactly one copy stores and dispatches. (Left to race, the copy that
   * found the event stored could start dispatching it before the copy that stored it did, and both would count as
   * stored.) If the first copy fails, the next one does the work itself.
   */
  const accepting = new Map<string, Promise<boolean>>();
  async function acceptOnce(envelope: EventEnvelope, work: () => Promise<AcceptOutcome>): Promise<AcceptOutcome> {
    for (let first = accepting.get(envelope.id); first; first = accepting.get(envelope.id)) {
      if (await first) return 'duplicate';
    }
    const mine = work();
    // Settles (true: accepted) once this copy is no longer the one in the map.
    const settled = mine.then(
      () => true,
      () => false,
    );
    const done = settled.then((ok) => {
      if (accepting.get(envelope.id) === done) accepting.delete(envelope.id);
      return ok;
    });
    accepting.set(envelope.id, done);
    return mine;
  }

  return {
    accept: (envelope, body, arrival) =>
      track(
        acceptOnce(envelope, async (): Promise<AcceptOutcome> => {
          const key = pubSubLaneOf(envelope, arrival);
          const placed = await inKeyOrder(key, () =>
            key === null ? storeAndPlace(envelope, body, arrival) : withinTurn(() => storeAndPlace(envelope, body, arrival)),
          );
          if (placed === 'duplicate') return 'duplicate';
          return (await dispatchOrDefer(placed.event, placed.prepared, placed.data)) ? 'dispatched' : 'deferred';
        }),
      ),

    sweep: () =>
      track(
        (async () => {
          if (stopped) return 0;
          const due = await events.findUndispatched(new Date(Date.now() - sweepMinAgeMs), sweepBatchSize);
          let dispatched = 0;
          for (const event of due) {
            if (stopped) break;
            if (await dispatchOrDefer(event)) dispatched += 1;
          }
          if (due.length > 0) logger.info({ found: due.length, dispatched }, 'sweep re-dispatched undispatched events');
          return dispatched;
        })(),
      ),

    pending: () => busy.size,
    counters: () => ({ started: Object.fromEntries(startedByType), retries }),

    async stop() {
      stopped = true;
      pauses.endAll();
      retryTimers.forEach((timer) => clearTimeout(timer));
      retryTimers.clear();
      await Promise.allSettled([...inFlight]);
      busy.clear();
    },
  };
}

/** An event's data when in hand (boxed: the data itself may be anything). */
interface EventData {
  readonly value: unknown;
}

/** The lane key that orders a Pub/Sub event's store and places (null: a stream entry, or no orderingKey). */
function pubSubLaneOf(envelope: EventEnvelope, arrival: Arrival | undefined): string | null {
  if (envelope.orderingKey === undefined || arrival?.streamEntryId !== undefined) return null;
  return `${envelope.accountId}\u0000${envelope.orderingKey}`;
}

export class DispatchError extends Error {
  constructor(
    readonly eventId: string,
    readonly failed: number,
    readonly total: number,
    override readonly cause: unknown,
  ) {
    super(`${failed} of ${total} workflow start(s) failed for event ${eventId}: ${describe(cause)}`);
    this.name = 'DispatchError';
  }
}

/** An event's span attributes: its id and type (never its data). */
function spanAttributes(event: { readonly id: string; readonly type: string }) {
  return { 'webhooks.event.id': event.id, 'webhooks.event.type': event.type };
}

/** With the error's class name: the start failures it summarises are told apart by their class more than their text. */
function describe(error: unknown): string {
  return errorSummary(error instanceof Error ? `${error.name}: ${error.message}` : error);
}
