/**
 * Whether a failed Postgres write can succeed if it is tried again unchanged. Pure.
 *
 * Transient: the connection (lost, refused, timed out, the pool closed while a write waited), and the server's
 * classes that say "not now": 08 connection exception, 40 transaction rollback (serialization failure, deadlock),
 * 53 insufficient resources, 57 operator intervention (shutdown, cannot connect now), 58 system error.
 * Everything else (22 data exception such as 22021 for a NUL in text, 23 constraint violation, 42 syntax or an
 * undefined column) fails the same way every time: retrying it would hold the message forever.
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (is )?(closed|ended|lost)/i,
  /cannot use a pool after calling end/i,
  /client has encountered a connection error/i,
  /driver not connected/i,
  /connection is not established/i,
];

export function isTransientDatabaseError(error: unknown): boolean {
  const found = error as { code?: unknown; driverError?: unknown; message?: unknown } | null | undefined;
  if (!found || typeof found !== 'object') return false;
  // TypeORM's QueryFailedError wraps the driver's error.
  if (found.driverError && found.driverError !== error && isTransientDatabaseError(found.driverError)) return true;
  const code = typeof found.code === 'string' ? found.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  if (TRANSIENT_SOCKET_CODES.has(code)) return true;
  const message = typeof found.message === 'string' ? found.message : '';
  return TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}
