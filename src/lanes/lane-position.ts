/**
 * A place in a lane as one number, so that Postgres orders it (numeric(60,0)) and compares it in an index.
 *
 * A stream entry id is two unsigned 64-bit integers, `<ms>-<seq>`, increasing in the order the entries were added:
 * its position is `ms * 2^64 + seq`, so positions order exactly as entry ids do. An event that came through Pub/Sub
 * has no entry id: it is placed by the clock in milliseconds when it was stored and a sequence (see the store
 * statement in src/events/event.repository.ts), on the same scale, so a lane fed both ways is ordered roughly by time.
 * Pure: no I/O.
 */

const TWO_64 = 1n << 64n;
const MAX_U64 = TWO_64 - 1n;
const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;

/** The numeric (as a decimal string) of a stream entry id, or null when the text is not one. */
export function positionOfEntryId(entryId: string): string | null {
  const match = ENTRY_ID.exec(entryId);
  if (!match) return null;
  const ms = BigInt(match[1]);
  const seq = BigInt(match[2]);
  if (ms > MAX_U64 || seq > MAX_U64) return null;
  return (ms * TWO_64 + seq).toString();
}

/** The entry id a stream position stands for (the inverse of positionOfEntryId). */
export function entryIdOfPosition(position: string): string {
  const value = BigInt(position);
  return `${value / TWO_64}-${value % TWO_64}`;
}
