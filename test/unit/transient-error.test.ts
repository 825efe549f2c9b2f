import { isTransientDatabaseError } from '../../src/db/transient-error';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientDatabaseError', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED'), true],
    ['connection reset', withCode('ECONNRESET'), true],
    ['08006 connection failure', withCode('08006'), true],
    ['40001 serialization failure', withCode('40001'), true],
    ['40P01 deadlock', withCode('40P01'), true],
    ['53300 too many connections', withCode('53300'), true],
    ['57P01 admin shutdown', withCode('57P01'), true],
    ['57P03 cannot connect now', withCode('57P03'), true],
    ['a dropped connection', new Error('Connection terminated unexpectedly'), true],
    ['the pool timing out', new Error('timeout exceeded when trying to connect'), true],
    ['a wrapped driver error', Object.assign(new Error('query failed'), { driverError: withCode('57P01') }), true],
    ['22021 a NUL in text', withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), false],
    ['22P02 invalid text representation', withCode('22P02'), false],
    ['23505 unique violation', withCode('23505'), false],
    ['42703 undefined column', withCode('42703'), false],
    ['a plain error', new Error('something else'), false],
    ['a thrown string', 'boom', false],
    ['null', null, false],
  ])('%s -> %s', (_name, error, transient) => {
    expect(isTransientDatabaseError(error)).toBe(transient);
  });
});
