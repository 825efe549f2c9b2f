/**
 * Deletes what the retention window has passed from the rows outside day partitions (the `_before` partitions of
 * deliveries and attempts: deliveries whose event was never stored) and from the rejected messages, one bounded batch
 * per call, oldest first. The day partitions are retired whole (src/retention/partitions.ts); these rows are few.
 *
 *
 * - deliveries that are finished (SUCCESS or FAILURE; never PENDING) and last changed before the cutoff, with
 *   their attempts (so a delivery retried recently is kept with its whole log);
 * - events received before the cutoff that are dispatched and have no delivery left at all (so the event of a
 *   PENDING or a kept delivery stays, and the retry route can still send it);
 * - rejected messages received before the cutoff.
 *
 * `FOR UPDATE SKIP LOCKED` lets two runs (or a run and a delivery writing its attempt) proceed without waiting on
 * each other; a row skipped now is taken by the next batch or run.
 */
import type { DataSource } from 'typeorm';

export const RetentionTarget = {
  DELIVERIES: 'deliveries',
  EVENTS: 'events',
  REJECTED_MESSAGES: 'rejectedMessages',
} as const;
export type RetentionTarget = (typeof RetentionTarget)[keyof typeof RetentionTarget];

export interface DeletedBatch {
  /** Rows of the target deleted by this batch. */
  readonly deleted: number;
  /** Attempts deleted with the deliveries (0 for the other targets). */
  readonly attempts: number;
}

const DELETE_DELIVERIES = `
  WITH doomed AS (
    SELECT id FROM webhook_deliveries_before
     WHERE status <> 'PENDING' AND updated_at < $1
     ORDER BY updated_at
     LIMIT $2
       FOR UPDATE SKIP LOCKED
  ), attempts AS (
    DELETE FROM webhook_delivery_attempts_before a USING doomed WHERE a.delivery_id = doomed.id RETURNING 1
  ), deliveries AS (
    DELETE FROM webhook_deliveries_before d USING doomed WHERE d.id = doomed.id AND d.status <> 'PENDING' RETURNING 1
  )
  SELECT (SELECT count(*) FROM deliveries)::int AS deleted, (SELECT count(*) FROM attempts)::int AS attempts`;

/** Every event is in a day partition: only a run recorded before the day partitions asks for this. */
const DELETE_EVENTS = `
  WITH doomed AS (
    SELECT e.id FROM webhook_events e
     WHERE e.received_at < $1
       AND e.dispatched_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
     ORDER BY e.received_at
     LIMIT $2
       FOR UPDATE SKIP LOCKED
  ), events AS (
    DELETE FROM webhook_events e USING doomed WHERE e.id = doomed.id RETURNING 1
  )
  SELECT (SELECT count(*) FROM events)::int AS deleted, 0 AS attempts`;

const DELETE_REJECTED = `
  WITH doomed AS (
    SELECT id FROM rejected_messages WHERE received_at < $1 ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
  ), rejected AS (
    DELETE FROM rejected_messages r USING doomed WHERE r.id = doomed.id RETURNING 1
  )
  SELECT (SELECT count(*) FROM rejected)::int AS deleted, 0 AS attempts`;

const STATEMENTS: Record<RetentionTarget, string> = {
  deliveries: DELETE_DELIVERIES,
  events: DELETE_EVENTS,
  rejectedMessages: DELETE_REJECTED,
};

export interface RetentionRepository {
  deleteBatch(target: RetentionTarget, before: Date, limit: number): Promise<DeletedBatch>;
}

export function createRetentionRepository(dataSource: Pick<DataSource, 'query'>): RetentionRepository {
  return {
    async deleteBatch(target, before, limit) {
      const rows: Array<{ deleted: number; attempts: number }> = await dataSource.query(STATEMENTS[target], [before, limit]);
      return { deleted: Number(rows[0]?.deleted ?? 0), attempts: Number(rows[0]?.attempts ?? 0) };
    },
  };
}
