/**
 * The partition key of a delivery and its attempts (migration 1765700000000-day-partitions): the received_at of the
 * delivery's event, so that a day of data (an event, its deliveries, their attempts) is retired together and the
 * upserts on (event, subscription) find the same row every time. A delivery whose event is not stored gets a fixed
 * key (it lives in the default partition) so that repeating its upsert still finds it.
 */
export const NO_EVENT_DAY = `'-infinity'::timestamptz`;

/** SQL: the partition key of the deliveries of the event whose id is the expression `eventIdSql`. */
export const EVENT_DAY_OF = (eventIdSql: string): string =>
  `COALESCE((SELECT received_at FROM webhook_events WHERE id = ${eventIdSql}::varchar LIMIT 1), ${NO_EVENT_DAY})`;
