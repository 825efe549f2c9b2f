import { ApiError } from './api-error';

/**
 * Opaque keyset cursor over (createdAt, id): base64url of `<createdAt as ISO with microseconds>|<uuid>`.
 * The timestamp travels as Postgres text so microseconds survive (a JS Date would drop them and skip rows).
 */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

const ISO_US = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`, 'utf8').toString('base64url');
}

/** True for a date-time that exists (2026-02-30 and 25:61 do not), years 1 to 9999: Postgres would refuse the others. */
function isRealInstant(text: string): boolean {
  const match = ISO_US.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  return day <= daysInMonth;
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Decodes a cursor; a tampered or foreign cursor answers 400 validation_failed on `cursor`. */
export function decodeCursor(cursor: string): CursorPosition {
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !createdAt || !id || !isRealInstant(createdAt) || !UUID.test(id)) {
    throw new ApiError(400, 'validation_failed', 'query is invalid', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return { createdAt, id };
}
