import { createAllowList, createGuardedLookup, systemResolver } from '../../src/http/ssrf';

describe('systemResolver', () => {
  it('returns every answer of the operating system resolver with its family', async () => {
    const answers = await systemResolver('localhost');
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) {
      expect(answer.address).toMatch(answer.family === 4 ? /^127\./ : /^::1$/);
    }
  });

  it('rejects a name that cannot exist with a resolver error code', async () => {
    await expect(systemResolver('no-such-host.invalid')).rejects.toMatchObject({ code: expect.stringMatching(/^E[A-Z]+$/) });
  });

  it('feeds the guarded lookup, which refuses localhost unless it is allow-listed', async () => {
    const lookup = (allowList: ReturnType<typeof createAllowList>) =>
      new Promise<NodeJS.ErrnoException | null>((resolve) =>
        createGuardedLookup({ resolver: systemResolver, allowList })('localhost', { all: true }, (error) => resolve(error)),
      );
    expect(await lookup(createAllowList([]))).toMatchObject({ code: 'target_not_allowed' });
    expect(await lookup(createAllowList(['127.0.0.0/8', '::1/128']))).toBeNull();
  });
});
