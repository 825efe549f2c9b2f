/**
 * Which database errors are worth trying again. Pure.
 *
 * Transient: the statement may well succeed if sent again (the connection was lost or refused, the server is shutting
 * down or out of resources, a serialization failure or deadlock, a lock or statement timeout). Everything else that
 * carries a SQLSTATE is a data error (22: a value Postgres cannot take, 23: a constraint, 42: a statement it cannot
 * run, 54: a limit, ...): the same values give the same error every time, so retrying only repeats what came before it.
 *
 * An error without a SQLSTATE is transient when it is the socket's or the pool's (ECONNRESET, "Connection terminated",
 * a pool timeout). Anything else (a bug, a value the driver cannot serialise) is a data error: retrying it unchanged
 * would hold the message or the attempt forever.
 */

/** SQLSTATE classes (first two characters) whose errors are transient. */
const TRANSIENT_CLASSES = new Set([
  '08', // connection exception
  '40', // transaction rollback: serialization failure, deadlock
  '53', // insufficient resources: too many connections, out of memory, disk full
  '57', // operator intervention: admin shutdown, crash shutdown, cannot connect now, query canceled (statement_timeout)
  '58', // system error (I/O)
  'HV', // foreign data wrapper errors (a remote unreachable)
]);
/** Single transient codes outside those classes. */
const TRANSIENT_CODES = new Set(['55P03' /* lock_not_available (lock_timeout) */, '55006' /* object in use */]);

/** The SQLSTATE of a node-postgres error, also when wrapped by TypeORM (QueryFailedError.driverError). */
export function sqlStateOf(error: unknown): string | undefined {
  const candidates = [error, (error as { driverError?: unknown } | null)?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code;
    // Node's own codes (EPIPE, ECONNRESET) start with E; no SQLSTATE class does.
    if (typeof code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code)) return code;
  }
  return undefined;
}

const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (is )?(closed|ended|lost)/i,
  /cannot use a pool after calling end/i,
  /client (has encountered a connection error|was closed)/i,
  /driver not connected/i,
  /connection is not established/i,
];

function isConnectionTrouble(error: unknown): boolean {
  return [error, (error as { driverError?: unknown } | null)?.driverError].some((candidate) => {
    if (!candidate || typeof candidate !== 'object') return false;
    const { code, message } = candidate as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) return true;
    return typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
  });
}

export type DbErrorKind = 'transient' | 'data';

export function classifyDbError(error: unknown): DbErrorKind {
  const state = sqlStateOf(error);
  if (state === undefined) return isConnectionTrouble(error) ? 'transient' : 'data';
  if (TRANSIENT_CODES.has(state) || TRANSIENT_CLASSES.has(state.slice(0, 2))) return 'transient';
  return 'data';
}

/** A lock not granted within lock_timeout (55P03), or a deadlock this statement was chosen to end (40P01). */
export function isLockTimeout(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === '55P03' || state === '40P01';
}
