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

/** An error of the form itself (not the API's): reported like one, with the field it is about. */
function formError(field, message) {
  const error = new Error(`${field} is invalid`);
  error.details = [{ field, message }];
  return error;
}

/** The filter textarea: empty → null; otherwise a JSON object (the API judges the rest). */
export function parseFilter(text) {
  if (text.trim() === '') return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw formError('filter', `not valid JSON (${error.message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw formError('filter', 'must be a JSON object');
  return value;
}

/** The headers textarea, one "Name: value" a line: empty → null; the API judges names and values. */
export function parseHeaders(text) {
  const headers = {};
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return null;
  lines.forEach((line, index) => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw formError('headers', `line ${index + 1}: expected "Name: value"`);
    const name = line.slice(0, colon).trim();
    if (Object.prototype.hasOwnProperty.call(headers, name)) throw formError('headers', `line ${index + 1}: ${name} is given twice`);
    headers[name] = line.slice(colon + 1).trim();
  });
  return headers;
}

/** Headers as the textarea shows them. */
export function headersText(headers) {
  return headers
    ? Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n')
    : '';
}

/** The filter in one line, or what no filter means. */
export function filterOf(subscription) {
  return subscription.filter ? JSON.stringify(subscription.filter) : 'none (every event of its types)';
}

/** Header names only: their values are secrets to the receiver (the edit form shows them, on demand). */
export function headerNamesOf(subscription) {
  const names = Object.keys(subscription.headers ?? {});
  return names.length ? names.join(', ') : 'none';
}

export function signatureOf(subscription) {
  return subscription.signatureScheme === 'ed25519'
    ? `Ed25519, public key ${subscription.publicKey ?? '—'}`
    : 'HMAC-SHA256 (signing secret)';
}
