import type { DataSource } from 'typeorm';
import { coalescedWrite } from '../db/coalesced-write';
import { preparedStatement } from '../db/prepared-statement';
import { positionOfEntryId } from '../lanes/lane-position';
import type { EventEnvelope } from './envelope';

/** What the dispatcher needs of a stored event. */
export interface StoredEvent {
  readonly id: string;
  readonly accountId: string;
  readonly type: string;
  readonly dispatchedAt: Date | null;
  /** The lane the event is in on ordered subscriptions, with its place in it (null: no orderingKey). */
  readonly lane: EventLane | null;
}

export interface EventLane {
  readonly orderingKey: string;
  /** A numeric as a decimal string (src/lanes/lane-position.ts). */
  readonly position: string;
  /** The stream entry the event was first received in; null when it came through Pub/Sub. */
  readonly streamEntryId: string | null;
}

/** Where a message came from, when that places it (a stream entry). */
export interface Arrival {
  readonly streamEntryId?: string;
}

export interface StoreResult {
  /** False when an event with this id was already stored (a re-publish); `event` is then the stored one. */
  readonly inserted: boolean;
  readonly event: StoredEvent;
}

export interface EventRepository {
  /** Stores the event once by id (first write wins); the body is the exact bytes that will be sent. */
  store(envelope: EventEnvelope, body: string, arrival?: Arrival): Promise<StoreResult>;
  /**
   * Resolves once the event is marked. Marks asked for while one is being written go in the next statement together
   * (src/db/coalesced-write.ts): one UPDATE per batch of events, not per event, under load.
   */
  markDispatched(eventId: string): Promise<void>;
  /** Events received before `receivedBefore` that no workflow start has been confirmed for, oldest first. */
  findUndispatched(receivedBefore: Date, limit: number): Promise<StoredEvent[]>;
  /**
   * The stored event's `data` (undefined when the event is not stored). Read only to evaluate subscription filters on
   * the sweep and retry paths, where the envelope is no longer in hand.
   */
  findData(eventId: string): Promise<unknown>;
}

interface EventRow {
  id: string;
  account_id: string;
  type: string;
  dispatched_at: Date | null;
  ordering_key: string | null;
  lane_position: string | null;
  stream_entry_id: string | null;
}

const EVENT_COLUMNS = 'id, account_id, type, dispatched_at, ordering_key, lane_position, stream_entry_id';

const toStored = (row: EventRow): StoredEvent => ({
  id: row.id,
  accountId: row.account_id,
  type: row.type,
  dispatchedAt: row.dispatched_at,
  lane:
    row.ordering_key === null || row.lane_position === null
      ? null
      : { orderingKey: row.ordering_key, position: row.lane_position, streamEntryId: row.stream_entry_id },
});

/**
 * First write wins, the place in order too: a duplicate keeps the position of the copy stored first. An event with an
 * orderingKey is placed by its stream entry ($6, $7) or, from Pub/Sub, by the order it is stored in. The events table
 * is partitioned by day, so the id's uniqueness is the store function's (migration 1765700000000-day-partitions): it
 * returns the copy stored first, and whether this call stored it.
 */
const STORE_EVENT_SQL = `
  SELECT inserted, ${EVENT_COLUMNS}
    FROM webhooks_store_event($1::varchar, $2::varchar, $3::varchar, $4::text, $5::varchar, $6::numeric, $7::varchar)`;

export function createEventRepository(dataSource: DataSource): EventRepository {
  // The statements every event runs, prepared once per connection (src/db/prepared-statement.ts).
  const insert = preparedStatement<EventRow & { inserted: boolean }>(dataSource, 'webhooks_store_event_v3', STORE_EVENT_SQL);
  const mark = preparedStatement(
    dataSource,
    'webhooks_mark_dispatched',
    `UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::varchar[]) AND dispatched_at IS NULL`,
  );
  const markDispatched = coalescedWrite<string>((ids) => mark([ids]));
  return {
    async store(envelope, body, arrival = {}) {
      const entryId = envelope.orderingKey === undefined ? null : (arrival.streamEntryId ?? null);
      const entryPosition = entryId === null ? null : positionOfEntryId(entryId);
      const rows = await insert([
        envelope.id,
        envelope.accountId,
        envelope.type,
        body,
        envelope.orderingKey ?? null,
        entryPosition,
        entryPosition === null ? null : entryId,
      ]);
      const row = rows[0];
      if (!row) throw new Error(`event ${envelope.id} was neither stored nor found`);
      return { inserted: row.inserted, event: toStored(row) };
    },

    markDispatched,

    async findUndispatched(receivedBefore, limit) {
      const rows = (await dataSource.query(
        `SELECT ${EVENT_COLUMNS} FROM webhook_events
         WHERE dispatched_at IS NULL AND received_at < $1
         ORDER BY received_at ASC
         LIMIT $2`,
        [receivedBefore, limit],
      )) as EventRow[];
      return rows.map(toStored);
    },

    async findData(eventId) {
      const rows = (await dataSource.query(`SELECT body FROM webhook_events WHERE id = $1`, [eventId])) as Array<{ body: string }>;
      if (rows.length !== 1) return undefined;
      return (JSON.parse(rows[0].body) as { data?: unknown }).data;
    },
  };
}
