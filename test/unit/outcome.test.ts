import { AttemptErrorKind, classifyOutcome, parseRetryAfter, type AttemptResult, type Outcome } from '../../src/http/outcome';

const now = new Date('2026-01-01T00:00:00.000Z');
const options = { retryAfterCapMs: 60_000, now };
const response = (statusCode: number, headers: Record<string, string> = {}): AttemptResult => ({ kind: 'response', statusCode, headers });
const failure = (error: AttemptErrorKind, message: string = error): AttemptResult => ({ kind: 'error', error, message });

describe('classifyOutcome', () => {
  const table: Array<[string, AttemptResult, Outcome]> = [
    ['200 is a success', response(200), { kind: 'success' }],
    ['201 is a success', response(201), { kind: 'success' }],
    ['204 is a success', response(204), { kind: 'success' }],
    ['299 is a success', response(299), { kind: 'success' }],
    ['301 is retried (redirects are not followed)', response(301, { location: 'http://x' }), { kind: 'retry', reason: 'HTTP 301' }],
    ['302 is retried', response(302), { kind: 'retry', reason: 'HTTP 302' }],
    ['400 is retried', response(400), { kind: 'retry', reason: 'HTTP 400' }],
    ['404 is retried', response(404), { kind: 'retry', reason: 'HTTP 404' }],
    [
      '410 stops and deactivates',
      response(410),
      { kind: 'stop', reason: 'HTTP 410 Gone: subscription deactivated', deactivateSubscription: true },
    ],
    ['429 without Retry-After follows the policy', response(429), { kind: 'retry', reason: 'HTTP 429' }],
    [
      '429 with Retry-After seconds waits that long',
      response(429, { 'retry-after': '7' }),
      { kind: 'retry', reason: 'HTTP 429', nextRetryDelayMs: 7_000 },
    ],
    [
      '503 with an HTTP date waits until then',
      response(503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }),
      { kind: 'retry', reason: 'HTTP 503', nextRetryDelayMs: 30_000 },
    ],
    [
      '429 with a huge Retry-After is capped',
      response(429, { 'retry-after': '86400' }),
      { kind: 'retry', reason: 'HTTP 429', nextRetryDelayMs: 60_000 },
    ],
    ['429 with Retry-After 0 follows the policy', response(429, { 'retry-after': '0' }), { kind: 'retry', reason: 'HTTP 429' }],
    [
      '503 with a date in the past follows the policy',
      response(503, { 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }),
      { kind: 'retry', reason: 'HTTP 503' },
    ],
    ['503 with garbage Retry-After follows the policy', response(503, { 'retry-after': 'soon' }), { kind: 'retry', reason: 'HTTP 503' }],
    ['500 ignores Retry-After', response(500, { 'retry-after': '5' }), { kind: 'retry', reason: 'HTTP 500' }],
    ['502 is retried', response(502), { kind: 'retry', reason: 'HTTP 502' }],
    [
      'a timeout is retried',
      failure(AttemptErrorKind.TIMEOUT, 'timeout after 5000 ms'),
      { kind: 'retry', reason: 'timeout after 5000 ms' },
    ],
    ['a refused connection is retried', failure(AttemptErrorKind.CONNECTION, 'ECONNREFUSED'), { kind: 'retry', reason: 'ECONNREFUSED' }],
    ['another request error is retried', failure(AttemptErrorKind.REQUEST, 'EPROTO'), { kind: 'retry', reason: 'EPROTO' }],
    [
      'an SSRF refusal stops without deactivating',
      failure(AttemptErrorKind.TARGET_NOT_ALLOWED, 'private address'),
      { kind: 'stop', reason: 'private address', deactivateSubscription: false },
    ],
  ];
  it.each(table)('%s', (_name, result, expected) => {
    expect(classifyOutcome(result, options)).toEqual(expected);
  });

  it('does not set a retry delay when the cap is zero', () => {
    expect(classifyOutcome(response(429, { 'retry-after': '3' }), { now, retryAfterCapMs: 0 })).toEqual({
      kind: 'retry',
      reason: 'HTTP 429',
    });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 3 ', 3_000],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['Thursday, 01-Jan-26 00:01:00 GMT', 60_000],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['later', undefined],
  ])('reads %p as %p ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads the first of repeated headers and nothing when absent', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2_000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
