import type { DataSource } from 'typeorm';
import { coalescedWrite } from '../db/coalesced-write';
import { preparedStatement } from '../db/prepared-statement';
import type { EventEnvelope } from './envelope';

/** What the dispatcher needs of a stored event. */
export interface StoredEvent {
  readonly id: string;
  readonly accountId: string;
  readonly type: string;
  readonly dispatchedAt: Date | null;
}

export interface StoreResult {
  /** False when an event with this id was already stored (a re-publish); `event` is then the stored one. */
  readonly inserted: boolean;
  readonly event: StoredEvent;
}

export interface EventRepository {
  /** Stores the event once by id (first write wins); the body is the exact bytes that will be sent. */
  store(envelope: EventEnvelope, body: string): Promise<StoreResult>;
  /**
   * Resolves once the event is marked. Marks asked for while one is being written go in the next statement together
   * (src/db/coalesced-write.ts): one UPDATE per batch of events, not per event, under load.
   */
  markDispatched(eventId: string): Promise<void>;
  /** Events received before `receivedBefore` that no workflow start has been confirmed for, oldest first. */
  findUndispatched(receivedBefore: Date, limit: number): Promise<StoredEvent[]>;
}

interface EventRow {
  id: string;
  account_id: string;
  type: string;
  dispatched_at: Date | null;
}

const toStored = (row: EventRow): StoredEvent => ({
  id: row.id,
  accountId: row.account_id,
  type: row.type,
  dispatchedAt: row.dispatched_at,
});

export function createEventRepository(dataSource: DataSource): EventRepository {
  // The statements every event runs, prepared once per connection (src/db/prepared-statement.ts).
  const insert = preparedStatement<EventRow>(
    dataSource,
    'webhooks_store_event',
    `INSERT INTO webhook_events (id, account_id, type, body) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO NOTHING
     RETURNING id, account_id, type, dispatched_at`,
  );
  const mark = preparedStatement(
    dataSource,
    'webhooks_mark_dispatched',
    `UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::varchar[]) AND dispatched_at IS NULL`,
  );
  const markDispatched = coalescedWrite<string>((ids) => mark([ids]));
  return {
    async store(envelope, body) {
      const inserted = await insert([envelope.id, envelope.accountId, envelope.type, body]);
      if (inserted.length === 1) return { inserted: true, event: toStored(inserted[0]) };
      const existing = (await dataSource.query(`SELECT id, account_id, type, dispatched_at FROM webhook_events WHERE id = $1`, [
        envelope.id,
      ])) as EventRow[];
      if (existing.length !== 1) throw new Error(`event ${envelope.id} conflicted on insert but could not be read back`);
      return { inserted: false, event: toStored(existing[0]) };
    },

    markDispatched,

    async findUndispatched(receivedBefore, limit) {
      const rows = (await dataSource.query(
        `SELECT id, account_id, type, dispatched_at FROM webhook_events
         WHERE dispatched_at IS NULL AND received_at < $1
         ORDER BY received_at ASC
         LIMIT $2`,
        [receivedBefore, limit],
      )) as EventRow[];
      return rows.map(toStored);
    },
  };
}
