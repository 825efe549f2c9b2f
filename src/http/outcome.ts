/**
 * Pure classification of one HTTP attempt into what Temporal should do next.
 *
 * - 2xx: success.
 * - 410 Gone: stop retrying and deactivate the subscription (the receiver said it is gone for good).
 * - 429 / 503 with a valid `Retry-After` (delta-seconds or HTTP date): retry after it, capped by `retryAfterCapMs`.
 * - any other 3xx (redirects are never followed), 4xx, 5xx, timeouts and connection errors: retry under the policy.
 * - a target refused by the SSRF guard: stop (retrying cannot make a forbidden address allowed).
 */

export const AttemptErrorKind = {
  TIMEOUT: 'timeout',
  CONNECTION: 'connection',
  TARGET_NOT_ALLOWED: 'target_not_allowed',
  REQUEST: 'request',
} as const;
export type AttemptErrorKind = (typeof AttemptErrorKind)[keyof typeof AttemptErrorKind];

export type AttemptResult =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
    }
  | { readonly kind: 'error'; readonly error: AttemptErrorKind; readonly message: string };

export type Outcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'retry'; readonly reason: string; readonly nextRetryDelayMs?: number }
  | { readonly kind: 'stop'; readonly reason: string; readonly deactivateSubscription: boolean };

export interface ClassifyOptions {
  readonly retryAfterCapMs: number;
  readonly now: Date;
}

/** Milliseconds to wait from `now` as a Retry-After value says, or undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  // HTTP-date (IMF-fixdate and the obsolete forms Date.parse understands); must name a weekday or month to avoid
  // accepting bare numbers with signs or decimals.
  if (!/[A-Za-z]{3}/.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

export function classifyOutcome(result: AttemptResult, options: ClassifyOptions): Outcome {
  if (result.kind === 'error') {
    if (result.error === AttemptErrorKind.TARGET_NOT_ALLOWED) {
      return { kind: 'stop', reason: result.message, deactivateSubscription: false };
    }
    return { kind: 'retry', reason: result.message };
  }
  const { statusCode } = result;
  if (statusCode >= 200 && statusCode < 300) return { kind: 'success' };
  if (statusCode === 410) {
    return { kind: 'stop', reason: 'HTTP 410 Gone: subscription deactivated', deactivateSubscription: true };
  }
  const reason = `HTTP ${statusCode}`;
  if (statusCode === 429 || statusCode === 503) {
    const waitMs = parseRetryAfter(result.headers['retry-after'], options.now);
    if (waitMs !== undefined && waitMs > 0 && options.retryAfterCapMs > 0) {
      return { kind: 'retry', reason, nextRetryDelayMs: Math.min(waitMs, options.retryAfterCapMs) };
    }
  }
  return { kind: 'retry', reason };
}
