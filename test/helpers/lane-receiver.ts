/**
 * A receiver for ordered-delivery tests: events carry `data.seq` (their place in their key's publish order) and an
 * `orderingKey`. It answers after a random delay, fails a share of first attempts with 500, and checks every request
 * against the lane contract as it arrives:
 * - `overlap`: a request for a key arrived while another request of the same key was still unanswered;
 * - `order`: a request for seq n arrived before seq n - 1 had its first 2xx (or after seq n + 1 had one);
 * - `repeat`: a request for an event that already had its 2xx (a repeated POST). An answer ready after its sender
 *   went away (a process killed mid-request) reached nobody: it is not counted as that event's 2xx.
 * It also counts how many distinct keys were in flight at once (different lanes progress side by side).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import type { RecordedRequest } from './receiver';
import { startReceiver, type Receiver } from './receiver';

export interface LaneEventBody {
  readonly id: string;
  readonly orderingKey?: string;
  readonly data: { readonly seq: number };
}

export interface LaneReceiverOptions {
  /** Largest answer delay in ms (uniform in [0, maxDelayMs]). */
  readonly maxDelayMs: number;
  /** Share of first attempts answered 500. */
  readonly failFirstAttempts: number;
  /** Event ids always answered 500 (a lane head that ends FAILURE). */
  readonly alwaysFail?: ReadonlySet<string>;
  /** A deterministic source in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

export interface LaneViolation {
  readonly kind: 'overlap' | 'order' | 'repeat';
  readonly key: string;
  readonly seq: number;
  readonly detail: string;
}

export interface LaneReceiver {
  readonly receiver: Receiver;
  readonly url: string;
  readonly violations: LaneViolation[];
  /** Per key, the seqs in the order of their first 2xx. */
  successOrder(key: string): number[];
  /** Events with a 2xx so far. */
  succeeded(): number;
  /** The most distinct keys that had a request open at the same moment. */
  maxKeysInFlight(): number;
  /** First attempts answered 500 on purpose. */
  failedFirstAttempts(): number;
  /** Distinct webhook-id values seen per event id. */
  webhookIdsOf(eventId: string): ReadonlySet<string>;
  /** Requests whose sender was gone by the time the answer was ready (not counted as answered). */
  abandoned(): number;
  close(): Promise<void>;
}

export async function startLaneReceiver(options: LaneReceiverOptions): Promise<LaneReceiver> {
  const random = options.random ?? Math.random;
  const violations: LaneViolation[] = [];
  const succeededSeqs = new Map<string, number[]>();
  const succeededIds = new Set<string>();
  const seenIds = new Set<string>();
  const openByKey = new Map<string, number>();
  const webhookIds = new Map<string, Set<string>>();
  let maxKeys = 0;
  let failedFirst = 0;
  let abandoned = 0;

  const respond = async (request: RecordedRequest) => {
    const body = request.json<LaneEventBody>();
    const key = body.orderingKey ?? '(none)';
    const seq = body.data.seq;
    webhookIds.set(body.id, (webhookIds.get(body.id) ?? new Set()).add(String(request.headers['webhook-id'])));
    const done = succeededSeqs.get(key) ?? [];
    if ((openByKey.get(key) ?? 0) > 0) violations.push({ kind: 'overlap', key, seq, detail: 'another request of the key was open' });
    if (succeededIds.has(body.id)) violations.push({ kind: 'repeat', key, seq, detail: 'already answered 2xx' });
    else if (seq !== done.length) violations.push({ kind: 'order', key, seq, detail: `arrived when ${done.length} had succeeded` });
    openByKey.set(key, (openByKey.get(key) ?? 0) + 1);
    maxKeys = Math.max(maxKeys, [...openByKey.values()].filter((n) => n > 0).length);
    const first = !seenIds.has(body.id);
    seenIds.add(body.id);
    const fail = options.alwaysFail?.has(body.id) === true || (first && random() < options.failFirstAttempts);
    if (fail && first && options.alwaysFail?.has(body.id) !== true) failedFirst += 1;
    // The receiver's own processing time: part of the scenario, not a wait of the test.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * (options.maxDelayMs + 1))));
    openByKey.set(key, (openByKey.get(key) ?? 1) - 1);
    // The sender is gone (its process was killed mid-request): this answer never reaches it, so it is no 2xx it got,
    // and sending the event again is not a repeat.
    if (request.clientGone()) {
      abandoned += 1;
      return { status: 500, body: 'nobody to answer' };
    }
    if (fail) return { status: 500, body: 'try again' };
    if (!succeededIds.has(body.id)) {
      succeededIds.add(body.id);
      succeededSeqs.set(key, [...done, seq]);
    }
    return { status: 200 };
  };

  const receiver = await startReceiver({ defaultResponse: respond });
  return {
    receiver,
    url: `${receiver.origin}/lanes`,
    violations,
    successOrder: (key) => [...(succeededSeqs.get(key) ?? [])],
    succeeded: () => succeededIds.size,
    maxKeysInFlight: () => maxKeys,
    failedFirstAttempts: () => failedFirst,
    webhookIdsOf: (eventId) => webhookIds.get(eventId) ?? new Set(),
    abandoned: () => abandoned,
    close: () => receiver.close(),
  };
}

/** Events for `keys` x `perKey`, interleaved by seq (every key's seq 0, then every key's seq 1...): publish order. */
export function laneEvents(
  accountId: string,
  keys: readonly string[],
  perKey: number,
  newId: () => string,
): Array<{ id: string; type: string; accountId: string; occurredAt: string; orderingKey: string; data: { seq: number } }> {
  const events = [];
  for (let seq = 0; seq < perKey; seq += 1) {
    for (const key of keys) {
      events.push({
        id: newId(),
        type: 'NEW_MESSAGE_FROM_VISITOR',
        accountId,
        occurredAt: new Date().toISOString(),
        orderingKey: key,
        data: { seq },
      });
    }
  }
  return events;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
type Failure = NonNullable<HistoryEvent['markerRecordedEventAttributes']>['failure'];

/** Whether an attempt in the workflow's history timed out (a local attempt's marker, or a regular activity's event). */
async function attemptTimedOut(temporal: Client, workflowId: string): Promise<boolean> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const timedOut = (failure: Failure): boolean => !!failure && (!!failure.timeoutFailureInfo || timedOut(failure.cause));
  return (history.events ?? []).some((e) => !!e.activityTaskTimedOutEventAttributes || timedOut(e.markerRecordedEventAttributes?.failure));
}

/**
 * Delivery is at least once (docs/operations.md): when the engine did not record a 2xx the receiver sent (its process
 * was killed before recording it, or, on a starved machine, the request timed out on the engine's side as the answer
 * came), it sends the event again with the same webhook-id. The receiver flags that as a `repeat`; here it must be
 * exactly that: the event's attempt log holds an attempt without a recorded 2xx (in flight, or failed), or its
 * workflow's history an attempt that timed out (its 2xx was recorded late, after Temporal had moved on to the next
 * attempt); and every key's requests never go back in seq (the lane did not move on past the unrecorded answer).
 * Returns the repeats.
 */
export async function expectRepeatsOnlyOfUnrecordedAnswers(
  dataSource: DataSource,
  temporalClient: Client,
  receiver: LaneReceiver,
  events: ReadonlyArray<{ id: string; orderingKey: string; data: { seq: number } }>,
  subscriptionId: string,
): Promise<number> {
  const seqsByKey = new Map<string, number[]>();
  for (const request of receiver.receiver.requests) {
    const body = request.json<{ orderingKey: string; data: { seq: number } }>();
    seqsByKey.set(body.orderingKey, [...(seqsByKey.get(body.orderingKey) ?? []), body.data.seq]);
  }
  for (const [key, seqs] of seqsByKey) expect({ key, seqs }).toEqual({ key, seqs: [...seqs].sort((a, b) => a - b) });
  const repeats = receiver.violations.filter((v) => v.kind === 'repeat');
  for (const repeat of repeats) {
    const event = events.find((e) => e.orderingKey === repeat.key && e.data.seq === repeat.seq);
    const [row] = (await dataSource.query(
      `SELECT count(*) FILTER (WHERE a.in_flight OR a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299)::int AS unrecorded
         FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.event_id = $1 AND d.subscription_id = $2`,
      [event?.id, subscriptionId],
    )) as Array<{ unrecorded: number }>;
    const explained = row.unrecorded > 0 || (await attemptTimedOut(temporalClient, deliveryWorkflowId(event!.id, subscriptionId)));
    expect({ ...repeat, explained }).toEqual({ ...repeat, explained: true });
  }
  return repeats.length;
}
