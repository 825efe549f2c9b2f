/**
 * The W3C Trace Context `traceparent` an event envelope may carry (https://www.w3.org/TR/trace-context/#traceparent-header).
 * Pure: the intake reads it, the tracing slice continues it. A malformed value is ignored (the event is delivered and
 * its trace starts at the listener): tracing metadata never costs an event.
 */

/** version-traceid-parentid-flags, lower-case hex; a later version may append fields after a dash. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const MAX_TRACEPARENT_LENGTH = 512;

/** The value when it is a valid traceparent, otherwise undefined. */
export function validTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_TRACEPARENT_LENGTH) return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, parentId, , rest] = match;
  if (version === 'ff') return undefined;
  // Version 00 has exactly four fields.
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return value;
}
