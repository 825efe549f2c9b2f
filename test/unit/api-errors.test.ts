import { ApiError } from '../../src/api/api-error';
import { decodeCursor, encodeCursor } from '../../src/api/cursor';
import { toApiError } from '../../src/api/error.middleware';
import { LimitReachedError } from '../../src/shared/limit-reached';

describe('mapping thrown errors to API errors', () => {
  it('passes an ApiError through unchanged', () => {
    const error = new ApiError(409, 'conflict', 'already there', [{ field: 'url', message: 'taken' }]);
    expect(toApiError(error)).toBe(error);
  });

  it.each<[string, unknown, number, string]>([
    ['an oversized body', Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }), 413, 'payload_too_large'],
    [
      'malformed JSON',
      Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
      400,
      'validation_failed',
    ],
    [
      'an unsupported charset',
      Object.assign(new Error('unsupported charset "X"'), { type: 'charset.unsupported', status: 415 }),
      415,
      'unsupported_media_type',
    ],
    [
      'an unsupported Content-Encoding',
      Object.assign(new Error('unsupported content encoding "x"'), { type: 'encoding.unsupported', status: 415 }),
      415,
      'unsupported_media_type',
    ],
    [
      'a body that is not gzip (zlib, status set by body-parser)',
      Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR', status: 400 }),
      400,
      'validation_failed',
    ],
    [
      'a body that is not brotli',
      Object.assign(new Error('Decompression failed'), { code: 'ERR__ERROR_FORMAT_PADDING_2', status: 400 }),
      400,
      'validation_failed',
    ],
    [
      'a path parameter that does not decode (router)',
      Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 }),
      400,
      'validation_failed',
    ],
    ['an aborted request', Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400 }), 400, 'bad_request'],
    [
      'any other client error of http-errors',
      Object.assign(new Error('Forbidden /etc/passwd'), { status: 403, expose: true }),
      403,
      'bad_request',
    ],
    ['a limit reached', new LimitReachedError('subscriptions per account', 3, 'delete one'), 409, 'limit_reached'],
    [
      'a unique violation from Postgres',
      Object.assign(new Error('duplicate key value violates unique constraint "x"'), { code: '23505' }),
      409,
      'conflict',
    ],
    ['anything else', new Error('connect ECONNREFUSED 127.0.0.1:5432 password=hunter2'), 500, 'internal_error'],
    ['a thrown string', 'boom', 500, 'internal_error'],
  ])('maps %s', (_case, thrown, status, code) => {
    const mapped = toApiError(thrown);
    expect(mapped.status).toBe(status);
    expect(mapped.code).toBe(code);
    expect(mapped.message).not.toMatch(/ECONNREFUSED|hunter2|duplicate key|Unexpected token|incorrect header|%E0|passwd/);
  });
});

describe('list cursors', () => {
  it('round-trips a position with microseconds', () => {
    const position = { createdAt: '2030-01-01T00:00:00.123456Z', id: '3f1c2f9e-6a0b-4c1d-9e2f-0123456789ab' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    '2026-13-45T25:61:61Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T12:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '0000-01-01T00:00:00Z',
  ])('refuses a cursor holding the impossible date %s (Postgres would refuse it)', (createdAt) => {
    const cursor = encodeCursor({ createdAt, id: '3f1c2f9e-6a0b-4c1d-9e2f-0123456789ab' });
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ status: 400, code: 'validation_failed' }));
  });

  it.each(['2028-02-29T00:00:00Z', '2000-02-29T23:59:59.999999Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'])(
    'accepts the real date %s',
    (createdAt) => {
      const position = { createdAt, id: '3f1c2f9e-6a0b-4c1d-9e2f-0123456789ab' };
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    },
  );

  it.each([
    '',
    'garbage',
    Buffer.from('2030-01-01T00:00:00Z|not-a-uuid').toString('base64url'),
    Buffer.from("x'; DROP TABLE|y").toString('base64url'),
  ])('refuses the tampered cursor %j with 400 validation_failed', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ status: 400, code: 'validation_failed' }));
  });
});
