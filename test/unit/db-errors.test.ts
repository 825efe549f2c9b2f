import { classifyDbError, sqlStateOf } from '../../src/db/db-errors';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR' });

describe('classifyDbError', () => {
  it.each([
    ['connection lost (no SQLSTATE)', new Error('Connection terminated unexpectedly'), 'transient'],
    ['a socket error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'transient'],
    ['EPIPE (five letters, not a SQLSTATE)', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'transient'],
    ['connection failure 08006', pgError('08006'), 'transient'],
    ['serialization failure 40001', pgError('40001'), 'transient'],
    ['deadlock 40P01', pgError('40P01'), 'transient'],
    ['too many connections 53300', pgError('53300'), 'transient'],
    ['admin shutdown 57P01', pgError('57P01'), 'transient'],
    ['statement timeout 57014', pgError('57014'), 'transient'],
    ['lock timeout 55P03', pgError('55P03'), 'transient'],
    ['NUL in text 22021', pgError('22021'), 'data'],
    ['invalid parameter value 22023', pgError('22023'), 'data'],
    ['integer out of range 22003', pgError('22003'), 'data'],
    ['unique violation 23505', pgError('23505'), 'data'],
    ['undefined column 42703', pgError('42703'), 'data'],
    ['index row too big 54000', pgError('54000'), 'data'],
    ['internal error XX000', pgError('XX000'), 'data'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'transient'],
    ['the pool timing out', new Error('timeout exceeded when trying to connect'), 'transient'],
    [
      'a wrapped connection loss',
      Object.assign(new Error('query failed'), { driverError: new Error('Connection terminated unexpectedly') }),
      'transient',
    ],
    ['a plain error (a bug, not the connection)', new Error('something else'), 'data'],
    ['a thrown string', 'boom', 'data'],
    ['null', null, 'data'],
  ])('%s is %s', (_name, error, kind) => {
    expect(classifyDbError(error)).toBe(kind);
  });

  it('reads the SQLSTATE through a TypeORM QueryFailedError', () => {
    const wrapped = Object.assign(new Error('query failed'), { driverError: pgError('22021') });
    expect(sqlStateOf(wrapped)).toBe('22021');
    expect(classifyDbError(wrapped)).toBe('data');
  });
});
