import { ApiError } from '../../src/api/api-error';
import { decodeCursor, encodeCursor } from '../../src/api/cursor';
import { toApiError } from '../../src/api/error.middleware';

describe('mapping thrown errors to API errors', () => {
  it('passes an ApiError through unchanged', () => {
    const error = new ApiError(409, 'conflict', 'already there', [{ field: 'url', message: 'taken' }]);
    expect(toApiError(error)).toBe(error);
  });

  it.each<[string, unknown, number, string]>([
    ['an oversized body', Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }), 413, 'payload_too_large'],
    ['malformed JSON', Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }), 400, 'validation_failed'],
    ['an unsupported charset', Object.assign(new Error('unsupported charset "X"'), { type: 'charset.unsupported', status: 415 }), 415, 'bad_request'],
    ['a unique violation from Postgres', Object.assign(new Error('duplicate key value violates unique constraint "x"'), { code: '23505' }), 409, 'conflict'],
    ['anything else', new Error('connect ECONNREFUSED 127.0.0.1:5432 password=hunter2'), 500, 'internal_error'],
    ['a thrown string', 'boom', 500, 'internal_error'],
  ])('maps %s', (_case, thrown, status, code) => {
    const mapped = toApiError(thrown);
    expect(mapped.status).toBe(status);
    expect(mapped.code).toBe(code);
    expect(mapped.message).not.toMatch(/ECONNREFUSED|hunter2|duplicate key|Unexpected token/);
  });
});

describe('list cursors', () => {
  it('round-trips a position with microseconds', () => {
    const position = { createdAt: '2030-01-01T00:00:00.123456Z', id: '3f1c2f9e-6a0b-4c1d-9e2f-0123456789ab' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'garbage', Buffer.from('2030-01-01T00:00:00Z|not-a-uuid').toString('base64url'), Buffer.from("x'; DROP TABLE|y").toString('base64url')])(
    'refuses the tampered cursor %j with 400 validation_failed',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ status: 400, code: 'validation_failed' }));
    },
  );
});
