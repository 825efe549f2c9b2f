import { dropDatabase } from '../../src/db/ensure-database';
import { ApiHarness, startApiHarness } from '../helpers/api-harness';
import { runCli as runCliWith, type CliResult } from '../helpers/cli';

/** The real CLI against the run's database (or another one). */
function runCli(args: string[], databaseUrl = process.env.DATABASE_URL): Promise<CliResult> {
  return runCliWith(args, { DATABASE_URL: databaseUrl });
}

describe('keys CLI', () => {
  let api: ApiHarness;
  const accountId = `cli-${process.env.TEST_RUN_ID}`;

  beforeAll(async () => {
    api = await startApiHarness();
  });
  afterAll(() => api.close());

  it('mints a key printed alone on stdout that authenticates as the account, then revokes it', async () => {
    const created = await runCli(['keys', 'create', '--account', accountId]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^whk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    const keyId = key.split('_')[1];
    expect(created.stderr).toContain(keyId);
    expect(created.stderr).not.toContain(key);

    const made = await api.request('POST', '/webhooks/subscriptions', { key, body: { url: 'http://127.0.0.1:9/in', events: ['*'] } });
    expect(made.status).toBe(201);
    const [row] = await api.dataSource.query('SELECT account_id FROM webhook_subscriptions WHERE id = $1', [made.body.id]);
    expect(row.account_id).toBe(accountId);

    const revoked = await runCli(['keys', 'revoke', keyId]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe('');
    expect((await api.request('GET', '/webhooks/subscriptions', { key })).status).toBe(401);

    const again = await runCli(['keys', 'revoke', keyId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no active key');
  });

  it('works on a fresh install: creates the database and applies migrations before minting', async () => {
    const fresh = new URL(process.env.DATABASE_URL as string);
    fresh.pathname = `${fresh.pathname}_cli_fresh`;
    try {
      const created = await runCli(['keys', 'create', '--account', 'fresh-account'], fresh.toString());
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^whk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    } finally {
      await dropDatabase(fresh.toString());
    }
  });

  it.each([[['keys', 'create', '--account', 'has spaces']], [['users']]])(
    'exits 2 with usage on stderr and nothing on stdout for %j',
    async (args) => {
      const before = (await api.dataSource.query('SELECT count(*)::int AS n FROM api_keys'))[0].n;
      const result = await runCli(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('usage:');
      expect((await api.dataSource.query('SELECT count(*)::int AS n FROM api_keys'))[0].n).toBe(before);
    },
  );
});
