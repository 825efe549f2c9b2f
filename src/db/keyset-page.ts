import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/** A place in the (createdAt, id) order; createdAt is ISO text with microseconds (see cursorTimestampSql). */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

export interface KeysetPage<T> {
  rows: T[];
  /** The position to continue after, or null on the last page. */
  next: KeysetPosition | null;
}

/** SQL rendering a timestamptz column as ISO text in UTC with microseconds (a lossless keyset position). */
export const cursorTimestampSql = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Runs `query` (already filtered) as one newest-first page over (created_at, id) of `alias`, continuing after
 * `after`. Reads one row more than `limit` to know whether another page follows.
 */
export async function newestFirstPage<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  alias: string,
  options: { limit: number; after?: KeysetPosition },
): Promise<KeysetPage<T>> {
  query.addSelect(cursorTimestampSql(`${alias}.created_at`), `${alias}_position`);
  if (options.after) {
    query.andWhere(`(${alias}.created_at, ${alias}.id) < (CAST(:afterCreatedAt AS timestamptz), CAST(:afterId AS uuid))`, {
      afterCreatedAt: options.after.createdAt,
      afterId: options.after.id,
    });
  }
  query
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(options.limit + 1);
  const { entities, raw } = await query.getRawAndEntities<Record<string, string>>();
  const rows = entities.slice(0, options.limit);
  const last = rows[rows.length - 1];
  const lastRaw = last ? raw.find((r) => r[`${alias}_id`] === last.id) : undefined;
  const hasMore = entities.length > options.limit;
  return { rows, next: hasMore && lastRaw ? { createdAt: lastRaw[`${alias}_position`], id: last.id } : null };
}
