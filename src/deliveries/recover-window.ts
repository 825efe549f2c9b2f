/**
 * The window of POST /webhooks/subscriptions/:id/recover, checked against the clock: `since` in the past and at most
 * RECOVER_MAX_AGE_DAYS back, `until` (default now) after `since`. Pure.
 */

export const RECOVER_MAX_AGE_DAYS = 14;
/** FAILURE deliveries re-sent per call; the answer's nextSince says where the rest start. */
export const RECOVER_MAX_DELIVERIES = 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecoverWindow {
  /** Inclusive; ISO text as given (Postgres compares it at full precision). */
  readonly since: string;
  /** Exclusive; ISO text as given, or now. */
  readonly until: string;
}

/** One problem with the window, in the API's error-detail shape. */
export interface WindowProblem {
  readonly field: 'since' | 'until';
  readonly message: string;
}

export type RecoverWindowCheck =
  { readonly ok: true; readonly window: RecoverWindow } | { readonly ok: false; readonly problems: WindowProblem[] };

/** `since` and `until` are ISO 8601 date-times with an offset (the request schema checks their form first). */
export function checkRecoverWindow(input: { since: string; until?: string }, now: Date): RecoverWindowCheck {
  const problems: WindowProblem[] = [];
  const nowMs = now.getTime();
  const since = Date.parse(input.since);
  const oldest = nowMs - RECOVER_MAX_AGE_DAYS * DAY_MS;
  if (Number.isNaN(since)) problems.push({ field: 'since', message: 'must be an ISO 8601 date-time' });
  else if (since >= nowMs) problems.push({ field: 'since', message: 'must be in the past' });
  else if (since < oldest) {
    problems.push({
      field: 'since',
      message: `must be at most ${RECOVER_MAX_AGE_DAYS} days ago (not before ${new Date(oldest).toISOString()})`,
    });
  }
  if (input.until !== undefined) {
    const until = Date.parse(input.until);
    if (Number.isNaN(until)) problems.push({ field: 'until', message: 'must be an ISO 8601 date-time' });
    else if (!Number.isNaN(since) && until <= since) problems.push({ field: 'until', message: 'must be after since' });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, window: { since: input.since, until: input.until ?? now.toISOString() } };
}
