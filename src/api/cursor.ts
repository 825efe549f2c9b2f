import { ApiError } from './api-error';

/**
 * Opaque keyset cursor over (createdAt, id): base64url of `<createdAt as ISO with microseconds>|<uuid>`.
 * The timestamp travels as Postgres text so microseconds survive (a JS Date would drop them and skip rows).
 */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor; a tampered or foreign cursor answers 400 validation_failed on `cursor`. */
export function decodeCursor(cursor: string): CursorPosition {
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !createdAt || !id || !ISO_US.test(createdAt) || !UUID.test(id)) {
    throw new ApiError(400, 'validation_failed', 'query is invalid', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return { createdAt, id };
}

