// How API values read on the page (pure functions of the JSON; results are written as text).

/** "2026-12-02 16:30:12 UTC", or the fallback for null. */
export function when(iso, fallback = '—') {
  return iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : fallback;
}

/** Active, paused by its owner, or switched off by the engine (with why and when). */
export function stateOf(subscription) {
  if (subscription.isActive) return 'active';
  if (subscription.disabledReason) return `disabled (${subscription.disabledReason}) at ${when(subscription.disabledAt)}`;
  return 'paused';
}

export function lastSuccessOf(subscription) {
  return when(subscription.lastSuccessAt, 'never');
}

/** The current failure streak: failed attempts since the last success, and since when. */
export function failureStreakOf(subscription) {
  const count = subscription.consecutiveFailures ?? 0;
  if (count === 0) return 'none';
  return `${count} failed ${count === 1 ? 'attempt' : 'attempts'}${subscription.failingSince ? ` since ${when(subscription.failingSince)}` : ''}`;
}

export function eventsOf(subscription) {
  return subscription.events.join(', ');
}

export function rateLimitOf(subscription) {
  return subscription.rateLimitPerSecond ? `${subscription.rateLimitPerSecond}/s` : 'none';
}

/** "UPPER, LOWER ,*" → ['UPPER', 'LOWER', '*'] */
export function parseEvents(text) {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A datetime-local input's value (local time) as ISO 8601, or undefined when empty. */
export function isoFromLocalInput(value) {
  return value ? new Date(value).toISOString() : undefined;
}

/** An ISO instant as a datetime-local input's value (local time, minutes). */
export function localInputFromDate(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
