/**
 * preparedStatement on a real Postgres: the rows are those dataSource.query() gives for the same statement, the
 * statement is prepared on the connection (pg_prepared_statements) and reused, and misuse is refused.
 */
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/app/data-source';
import { preparedStatement } from '../../src/db/prepared-statement';

const TEXT = `SELECT $1::int + 1 AS next, $2::text[] AS words, now() - now() = interval '0' AS zero`;
let dataSource: DataSource;

beforeAll(async () => {
  // One connection: the statement and pg_prepared_statements are read on the same session.
  dataSource = createDataSource(loadConfig({ ...process.env }).databaseUrl, { poolSize: 1 });
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource?.destroy();
});

describe('preparedStatement', () => {
  it('answers the rows dataSource.query() answers, prepared once on the connection and reused', async () => {
    const next = preparedStatement<{ next: number; words: string[]; zero: boolean }>(dataSource, 'webhooks_test_next', TEXT);
    const first = await next([41, ['a', 'b']]);
    expect(first).toEqual(await dataSource.query(TEXT, [41, ['a', 'b']]));
    expect(first).toEqual([{ next: 42, words: ['a', 'b'], zero: true }]);
    expect(await next([1, []])).toEqual([{ next: 2, words: [], zero: true }]);

    const prepared: Array<{ name: string; statement: string }> = await dataSource.query(
      `SELECT name, statement FROM pg_prepared_statements WHERE name = 'webhooks_test_next'`,
    );
    expect(prepared).toEqual([{ name: 'webhooks_test_next', statement: TEXT }]);
  });

  it('refuses a name outside its namespace, and a data source that is not initialized', async () => {
    expect(() => preparedStatement(dataSource, 'next', TEXT)).toThrow(/webhooks_/);
    const idle = createDataSource(loadConfig({ ...process.env }).databaseUrl, { poolSize: 1 });
    await expect(preparedStatement(idle, 'webhooks_test_idle', TEXT)([1, []])).rejects.toThrow(/not initialized/);
  });
});
