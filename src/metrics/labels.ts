/**
 * Label values of the engine's metrics, kept low-cardinality: a fixed set per label, never an id, a URL, a host or
 * an account name. Pure.
 */
import { isKnownEventType, TEST_EVENT_TYPE } from '../events/event-catalog';
import { AttemptErrorKind, type AttemptResult } from '../http/outcome';

/** An event type of the catalog (or the test event) as itself; anything else (which the intake refuses anyway) as `other`. */
export function eventTypeLabel(type: string): string {
  return isKnownEventType(type) || type === TEST_EVENT_TYPE ? type : 'other';
}

/** How one HTTP attempt ended, as the `outcome` label of the attempt metrics. */
export const AttemptOutcomeClass = {
  SUCCESS: '2xx',
  REDIRECT: '3xx',
  CLIENT_ERROR: '4xx',
  SERVER_ERROR: '5xx',
  /** A status outside 200-599 (a broken receiver). */
  OTHER_STATUS: 'other_status',
  TIMEOUT: 'timeout',
  /** DNS failure, refused or reset connection, TLS error. */
  NETWORK: 'network',
  /** The SSRF guard refused the target. */
  REFUSED: 'refused',
  /** The request could not be made for another reason. */
  ERROR: 'error',
} as const;
export type AttemptOutcomeClass = (typeof AttemptOutcomeClass)[keyof typeof AttemptOutcomeClass];

export function attemptOutcomeClass(result: AttemptResult): AttemptOutcomeClass {
  if (result.kind === 'response') {
    const { statusCode } = result;
    if (statusCode >= 200 && statusCode < 300) return AttemptOutcomeClass.SUCCESS;
    if (statusCode >= 300 && statusCode < 400) return AttemptOutcomeClass.REDIRECT;
    if (statusCode >= 400 && statusCode < 500) return AttemptOutcomeClass.CLIENT_ERROR;
    if (statusCode >= 500 && statusCode < 600) return AttemptOutcomeClass.SERVER_ERROR;
    return AttemptOutcomeClass.OTHER_STATUS;
  }
  switch (result.error) {
    case AttemptErrorKind.TIMEOUT:
      return AttemptOutcomeClass.TIMEOUT;
    case AttemptErrorKind.CONNECTION:
      return AttemptOutcomeClass.NETWORK;
    case AttemptErrorKind.TARGET_NOT_ALLOWED:
      return AttemptOutcomeClass.REFUSED;
    default:
      return AttemptOutcomeClass.ERROR;
  }
}

/** The `status_class` label of API requests: 2xx, 4xx, ... */
export function statusClassLabel(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
