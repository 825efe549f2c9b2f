/**
 * Pure readers of the Redis Stream replies the stream reader works with (RESP2 shapes as ioredis returns them) and
 * stream-id arithmetic. No I/O: unit-tested on their own.
 */

/** One stream entry: its id and its flat field list (null when the entry was deleted while pending). */
export type StreamEntry = [id: string, fields: string[] | null];

/** XREADGROUP's RESP2 reply for one stream (`[[key, entries]]`, or nil when the block timed out) -> its entries. */
export function entriesOfReadReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0 || !Array.isArray(reply[0])) return [];
  const [, entries] = reply[0] as [string, StreamEntry[]];
  return Array.isArray(entries) ? entries : [];
}

/** The value of `name` in a flat field list [f1, v1, f2, v2, ...]. */
export function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** A field list kept for inspection, as a JSON object. */
export function describeFields(fields: readonly string[]): string {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) object[fields[i]] = fields[i + 1];
  return JSON.stringify(object);
}

/** -1, 0, 1 for stream ids `ms-seq`. */
export function compareIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/** The smallest id after `id`. */
export function nextId(id: string): string {
  const [ms, seq] = splitId(id);
  return `${ms}-${seq + 1n}`;
}

function splitId(id: string): [bigint, bigint] {
  const [ms, seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

export interface GroupInfo {
  name: string;
  pending: number;
  lastDeliveredId: string;
  lag: number | null;
}

/** XINFO GROUPS (RESP2: a list of flat key/value lists). */
export function parseInfoGroups(reply: unknown): GroupInfo[] {
  return parseInfoRows(reply).map((row) => ({
    name: String(row.name),
    pending: Number(row.pending ?? 0),
    // A stream id: a bulk string in RESP2, so a string as ioredis returns it.
    lastDeliveredId: typeof row['last-delivered-id'] === 'string' ? row['last-delivered-id'] : '0-0',
    lag: row.lag === null || row.lag === undefined ? null : Number(row.lag),
  }));
}

/** Flat key/value rows (XINFO CONSUMERS, XINFO GROUPS) as objects. */
export function parseInfoRows(reply: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(reply)) return [];
  return reply.map((flat) => {
    const row: Record<string, unknown> = {};
    if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) row[String(flat[i])] = flat[i + 1];
    return row;
  });
}
