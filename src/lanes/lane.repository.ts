/**
 * Lanes in Postgres: a lane is the deliveries of one ordered subscription whose events share an orderingKey, in the
 * order of their `lane_position`. Three statements make it work:
 * - reservePlaces (listener): before any delivery of an event starts, its deliveries to ordered subscriptions get
 *   their rows, with the event's key and position. A delivery that asks for its turn later therefore sees every
 *   event before it that the intake has stored (the stream's acknowledgement comes after this; see intake-barrier.ts).
 * - join (worker, when a delivery asks for its turn): the nearest delivery before it that has not ended its turn,
 *   locked FOR SHARE while the asking row records that it waits for it. The delivery ahead marks its end with an
 *   UPDATE of its own row, which that lock serialises: either the asking row sees the end (and goes), or its
 *   `waiting_for` is committed before the end is, and the ending delivery finds it and signals it.
 * - pass (worker, when a delivery ended): marks the end, then (a second statement, so that it reads what committed
 *   while the first waited for a lock) returns the workflows that wait for it.
 */
import type { DataSource } from 'typeorm';
import { EVENT_DAY_OF } from '../db/event-day';
import { preparedStatement } from '../db/prepared-statement';
import { deliveryWorkflowId } from '../temporal/contract';
import { decideTurn, type LaneAhead, type LaneDecision } from './lane-decision';

export interface LaneEvent {
  readonly id: string;
  readonly accountId: string;
  readonly type: string;
  readonly orderingKey: string;
  /** A numeric as a decimal string (src/lanes/lane-position.ts). */
  readonly position: string;
}

/** A delivery of the event that has a place in a lane: its workflow must be started. `url` null: subscription deleted. */
export interface LanePlace {
  readonly subscriptionId: string;
  readonly url: string | null;
}

export interface LaneRepository {
  /**
   * Places the event's deliveries to these (ordered) subscriptions in their lanes, as PENDING rows; a place taken
   * before is kept. Returns every place the event has (taken now or before), whose workflows must all start.
   */
  reservePlaces(event: LaneEvent, subscriptionIds: readonly string[]): Promise<LanePlace[]>;
  /** Asks for the turn of the delivery of `eventId` to `subscriptionId`, recording what it waits for. */
  join(eventId: string, subscriptionId: string): Promise<LaneDecision>;
  /** Marks the delivery's turn as ended; returns the workflow ids of the deliveries that wait for it. */
  pass(eventId: string, subscriptionId: string): Promise<string[]>;
  /**
   * Marks a delivery ahead as ended on its behalf when its workflow closed without saying so (terminated from the
   * UI, or timed out): a stalled delivery must not hold its lane. Returns the workflows that waited for it.
   */
  passStalled(deliveryId: string): Promise<string[]>;
  /** Workflow ids of the subscription's deliveries waiting for their turn (to wake them when it is switched off). */
  waitingWorkflows(subscriptionId: string, limit: number): Promise<string[]>;
}

const RESERVE_SQL = `
  WITH wanted AS (
    SELECT t.subscription_id, t.workflow_id FROM unnest($6::uuid[], $7::varchar[]) AS t(subscription_id, workflow_id)
  ),
  placed AS (
    INSERT INTO webhook_deliveries
      (subscription_id, account_id, event_id, event_type, workflow_id, status, ordering_key, lane_position, event_received_at)
    SELECT w.subscription_id, $1::varchar, $2::varchar, $3::varchar, w.workflow_id, 'PENDING', $4::varchar, $5::numeric,
           ${EVENT_DAY_OF('$2')}
      FROM wanted w
    ON CONFLICT (event_id, subscription_id, event_received_at) DO NOTHING
    RETURNING subscription_id
  ),
  places AS (
    SELECT subscription_id FROM placed
    UNION
    SELECT subscription_id FROM webhook_deliveries WHERE event_id = $2::varchar AND ordering_key IS NOT NULL
  )
  SELECT p.subscription_id, s.url FROM places p LEFT JOIN webhook_subscriptions s ON s.id = p.subscription_id`;

/**
 * The asking delivery (`me`) with its subscription, the nearest unended delivery before it (`ahead`, locked FOR
 * SHARE; looked for only while the delivery has not passed and its subscription is active and ordered), and
 * `waiting_for` set to it (or cleared), written only when it changes.
 */
const JOIN_SQL = `
  WITH me AS (
    SELECT d.id, d.ordering_key, d.lane_position, d.lane_passed_at, s.id AS sub_id, s.is_active, s.ordered
      FROM webhook_deliveries d LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id
     WHERE d.event_id = $1::varchar AND d.subscription_id = $2::uuid AND d.ordering_key IS NOT NULL
  ),
  ahead AS (
    SELECT p.id, p.event_id, p.workflow_id FROM webhook_deliveries p
     WHERE p.subscription_id = $2::uuid
       AND p.ordering_key = (SELECT ordering_key FROM me)
       AND p.lane_position < (SELECT lane_position FROM me)
       AND p.lane_passed_at IS NULL
       AND EXISTS (SELECT 1 FROM me WHERE me.lane_passed_at IS NULL AND me.is_active AND me.ordered)
     ORDER BY p.lane_position DESC
     LIMIT 1
     FOR SHARE OF p
  ),
  marked AS (
    UPDATE webhook_deliveries d SET waiting_for = (SELECT id FROM ahead)
      FROM me
     WHERE d.id = me.id AND d.waiting_for IS DISTINCT FROM (SELECT id FROM ahead)
    RETURNING d.id
  )
  SELECT me.id IS NOT NULL AS placed, me.lane_passed_at IS NOT NULL AS passed_before,
         CASE WHEN me.sub_id IS NULL THEN 'missing' WHEN NOT me.is_active THEN 'inactive'
              WHEN NOT me.ordered THEN 'unordered' ELSE 'ordered' END AS subscription,
         ahead.id AS ahead_id, ahead.event_id AS ahead_event_id, ahead.workflow_id AS ahead_workflow_id,
         (SELECT count(*) FROM marked)::int AS changed
    FROM (SELECT 1) one LEFT JOIN me ON true LEFT JOIN ahead ON true`;

const PASS_SQL = `
  UPDATE webhook_deliveries SET lane_passed_at = COALESCE(lane_passed_at, now()), waiting_for = NULL
   WHERE event_id = $1::varchar AND subscription_id = $2::uuid AND ordering_key IS NOT NULL
  RETURNING id`;

const WAITERS_SQL = `
  SELECT workflow_id FROM webhook_deliveries WHERE waiting_for = $1::uuid AND lane_passed_at IS NULL`;

interface JoinRow {
  placed: boolean;
  passed_before: boolean;
  subscription: 'missing' | 'inactive' | 'unordered' | 'ordered';
  ahead_id: string | null;
  ahead_event_id: string | null;
  ahead_workflow_id: string | null;
}

export function createLaneRepository(dataSource: DataSource): LaneRepository {
  const reserve = preparedStatement<{ subscription_id: string; url: string | null }>(dataSource, 'webhooks_lane_reserve', RESERVE_SQL);
  const join = preparedStatement<JoinRow>(dataSource, 'webhooks_lane_join', JOIN_SQL);
  const pass = preparedStatement<{ id: string }>(dataSource, 'webhooks_lane_pass', PASS_SQL);
  const waiters = preparedStatement<{ workflow_id: string }>(dataSource, 'webhooks_lane_waiters', WAITERS_SQL);

  const waitersOf = async (deliveryId: string) => (await waiters([deliveryId])).map((row) => row.workflow_id);

  return {
    async reservePlaces(event, subscriptionIds) {
      const params = [
        event.accountId,
        event.id,
        event.type,
        event.orderingKey,
        event.position,
        subscriptionIds,
        subscriptionIds.map((subscriptionId) => deliveryWorkflowId(event.id, subscriptionId)),
      ];
      let rows = await reserve(params);
      // A place another listener was inserting at the same time is skipped by ON CONFLICT once that insert commits,
      // but the statement's snapshot is older than that commit, so the place is missing from what it returns. The
      // next statement sees it (a second conflict is impossible: the place then exists). Returning without it would
      // start that delivery without its lane.
      if (!subscriptionIds.every((id) => rows.some((row) => row.subscription_id === id))) rows = await reserve(params);
      const missing = subscriptionIds.filter((id) => !rows.some((row) => row.subscription_id === id));
      if (missing.length > 0) throw new Error(`lane places of event ${event.id} not found after reserving them: ${missing.join(', ')}`);
      return rows.map((row) => ({ subscriptionId: row.subscription_id, url: row.url }));
    },

    async join(eventId, subscriptionId) {
      const [row] = await join([eventId, subscriptionId]);
      const ahead: LaneAhead | null =
        row?.ahead_id && row.ahead_event_id !== null && row.ahead_workflow_id !== null
          ? { deliveryId: row.ahead_id, eventId: row.ahead_event_id, workflowId: row.ahead_workflow_id }
          : null;
      return decideTurn({
        placed: row?.placed === true,
        passedBefore: row?.passed_before === true,
        subscription: row?.subscription ?? 'missing',
        ahead,
      });
    },

    async pass(eventId, subscriptionId) {
      const [passed] = await pass([eventId, subscriptionId]);
      return passed ? waitersOf(passed.id) : [];
    },

    async passStalled(deliveryId) {
      await dataSource.query(`UPDATE webhook_deliveries SET lane_passed_at = now() WHERE id = $1 AND lane_passed_at IS NULL`, [deliveryId]);
      return waitersOf(deliveryId);
    },

    async waitingWorkflows(subscriptionId, limit) {
      const rows: Array<{ workflow_id: string }> = await dataSource.query(
        `SELECT workflow_id FROM webhook_deliveries
          WHERE subscription_id = $1 AND waiting_for IS NOT NULL AND lane_passed_at IS NULL
          LIMIT $2`,
        [subscriptionId, limit],
      );
      return rows.map((row) => row.workflow_id);
    },
  };
}
