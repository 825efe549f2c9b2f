import type { LookupAddress } from 'node:dns';
import {
  assertIpLiteralAllowed,
  createAllowList,
  createGuardedLookup,
  findTargetNotAllowed,
  TargetNotAllowedError,
  type GuardedLookup,
  type Resolver,
} from '../../src/http/ssrf';

interface LookupResult {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}

/** Calls the lookup the way Node does and collects what it hands back. */
function callLookup(lookup: GuardedLookup, hostname: string, options?: Parameters<GuardedLookup>[1]): Promise<LookupResult> {
  return new Promise((resolve) => {
    const callback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) =>
      resolve({ error, address, family });
    if (options === undefined) lookup(hostname, callback);
    else lookup(hostname, options, callback);
  });
}

function countingResolver(answers: string[]) {
  const calls: string[] = [];
  const resolver: Resolver = async (hostname) => {
    calls.push(hostname);
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolver, calls };
}

const none = createAllowList([]);

describe('createGuardedLookup', () => {
  it('hands back every checked answer when Node asks for all of them', async () => {
    const { resolver } = countingResolver(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
    const result = await callLookup(createGuardedLookup({ resolver, allowList: none }), 'example.com', { all: true });
    expect(result.error).toBeNull();
    expect(result.address).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
  });

  it('hands back the first checked answer as (address, family) when Node asks for one', async () => {
    const { resolver } = countingResolver(['93.184.215.14', '93.184.215.15']);
    const lookup = createGuardedLookup({ resolver, allowList: none });
    expect(await callLookup(lookup, 'example.com', {})).toEqual({ error: null, address: '93.184.215.14', family: 4 });
    expect(await callLookup(lookup, 'example.com')).toEqual({ error: null, address: '93.184.215.14', family: 4 });
  });

  it('honours a requested family, given as an option or as a bare number', async () => {
    const { resolver } = countingResolver(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
    const lookup = createGuardedLookup({ resolver, allowList: none });
    expect(await callLookup(lookup, 'example.com', { family: 6 })).toMatchObject({
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
    expect(await callLookup(lookup, 'example.com', 4)).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(await callLookup(lookup, 'example.com', { family: 4, all: true })).toMatchObject({
      address: [{ address: '93.184.215.14', family: 4 }],
    });
  });

  it('refuses with TargetNotAllowedError when any answer is forbidden, even one of another family than requested', async () => {
    const { resolver } = countingResolver(['93.184.215.14', 'fd00::7']);
    const result = await callLookup(createGuardedLookup({ resolver, allowList: none }), 'hooks.example.com', { family: 4 });
    expect(result.error).toBeInstanceOf(TargetNotAllowedError);
    expect(result.error).toMatchObject({
      code: 'target_not_allowed',
      reason: 'resolves to fd00::7 (unique-local)',
      message: 'target_not_allowed: resolves to fd00::7 (unique-local)',
    });
  });

  it('refuses at delivery a name that resolves to 6to4, even when the carried IPv4 is public', async () => {
    const { resolver } = countingResolver(['2002:808:808::1']);
    const result = await callLookup(createGuardedLookup({ resolver, allowList: none }), 'hooks.example.com', { all: true });
    expect(result.error).toBeInstanceOf(TargetNotAllowedError);
    expect(result.error).toMatchObject({
      code: 'target_not_allowed',
      reason: expect.stringContaining('resolves to 2002:808:808::1 (6to4'),
    });
  });

  it('resolves exactly once per lookup, so the checked answers are the ones used', async () => {
    const { resolver, calls } = countingResolver(['93.184.215.14']);
    const lookup = createGuardedLookup({ resolver, allowList: none });
    await callLookup(lookup, 'example.com', { all: true });
    expect(calls).toEqual(['example.com']);
  });

  it('lets the allow-list exempt private answers', async () => {
    const { resolver } = countingResolver(['127.0.0.1']);
    const lookup = createGuardedLookup({ resolver, allowList: createAllowList(['127.0.0.1/32']) });
    expect(await callLookup(lookup, 'receiver.example.com', { all: true })).toEqual({
      error: null,
      address: [{ address: '127.0.0.1', family: 4 }],
      family: undefined,
    });
  });

  it('judges an IP-literal host name itself without asking the resolver', async () => {
    const { resolver, calls } = countingResolver(['93.184.215.14']);
    const lookup = createGuardedLookup({ resolver, allowList: none });
    const result = await callLookup(lookup, '10.0.0.5', {});
    expect(result.error).toMatchObject({ reason: 'resolves to 10.0.0.5 (private)' });
    expect(calls).toEqual([]);
  });

  it('passes resolver failures through, and reports ENOTFOUND for an empty or family-less answer', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' });
    };
    expect((await callLookup(createGuardedLookup({ resolver: failing, allowList: none }), 'x.example.com', {})).error).toMatchObject({
      code: 'ESERVFAIL',
    });
    const empty = countingResolver([]).resolver;
    expect((await callLookup(createGuardedLookup({ resolver: empty, allowList: none }), 'x.example.com', {})).error).toMatchObject({
      code: 'ENOTFOUND',
    });
    const v4only = countingResolver(['93.184.215.14']).resolver;
    expect(
      (await callLookup(createGuardedLookup({ resolver: v4only, allowList: none }), 'x.example.com', { family: 6 })).error,
    ).toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('assertIpLiteralAllowed', () => {
  it('throws TargetNotAllowedError for a forbidden IP-literal host', () => {
    expect(() => assertIpLiteralAllowed(new URL('http://127.0.0.1:8080/hook'), none)).toThrow(
      new TargetNotAllowedError('address 127.0.0.1 (loopback)'),
    );
    expect(() => assertIpLiteralAllowed(new URL('http://[::ffff:169.254.169.254]/'), none)).toThrow(TargetNotAllowedError);
    expect(() => assertIpLiteralAllowed(new URL('https://[2002:808:808::1]/'), none)).toThrow(TargetNotAllowedError);
  });

  it('passes host names (the guarded lookup judges them) and allowed or public literals', () => {
    expect(() => assertIpLiteralAllowed(new URL('https://example.com/'), none)).not.toThrow();
    expect(() => assertIpLiteralAllowed(new URL('https://8.8.8.8/'), none)).not.toThrow();
    expect(() => assertIpLiteralAllowed(new URL('http://127.0.0.1/'), createAllowList(['127.0.0.0/8']))).not.toThrow();
  });
});

describe('findTargetNotAllowed', () => {
  it('finds the guard error inside a wrapping error and ignores other failures', () => {
    const guard = new TargetNotAllowedError('resolves to 10.0.0.5 (private)');
    expect(findTargetNotAllowed(new Error('request failed', { cause: guard }))).toBe(guard);
    expect(findTargetNotAllowed(guard)).toBe(guard);
    expect(findTargetNotAllowed(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(findTargetNotAllowed('not an error')).toBeUndefined();
  });
});
