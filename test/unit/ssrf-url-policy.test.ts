import { checkTarget, createAllowList, judgeUrl, type Resolver } from '../../src/http/ssrf';

const none = createAllowList([]);
const httpOk = { requireHttps: false, allowList: none };

/** A resolver answering from a fixed table, counting its calls. */
function tableResolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolver: Resolver = async (hostname) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolver, calls };
}

describe('judgeUrl', () => {
  it('accepts a public https URL and returns it parsed as the HTTP client will parse it', () => {
    const verdict = judgeUrl('https://Hooks.Example.com:8443/in?x=1', { requireHttps: true, allowList: none });
    expect(verdict.allowed).toBe(true);
    expect(verdict.allowed && verdict.url.hostname).toBe('hooks.example.com');
    expect(verdict.allowed && verdict.url.port).toBe('8443');
  });

  it('refuses http when https is required, and accepts it otherwise', () => {
    expect(judgeUrl('http://example.com/', { requireHttps: true, allowList: none })).toEqual({
      allowed: false,
      reason: 'scheme http: is not allowed (https required)',
    });
    expect(judgeUrl('http://example.com/', httpOk).allowed).toBe(true);
  });

  it('refuses credentials in the URL even for a public host', () => {
    expect(judgeUrl('https://user@example.com/', httpOk)).toEqual({ allowed: false, reason: 'credentials in the URL are not allowed' });
    expect(judgeUrl('https://:pw@example.com/', httpOk)).toEqual({ allowed: false, reason: 'credentials in the URL are not allowed' });
  });

  it('judges IP-literal hosts after WHATWG normalisation, with brackets stripped', () => {
    expect(judgeUrl('http://0x0a.0.0.5/', httpOk)).toEqual({ allowed: false, reason: 'address 10.0.0.5 (private)' });
    expect(judgeUrl('http://[fd00::5]/', httpOk)).toEqual({ allowed: false, reason: 'address fd00::5 (unique-local)' });
  });

  it('lets the allow-list exempt an IP-literal target', () => {
    const allowList = createAllowList(['127.0.0.1/32']);
    expect(judgeUrl('http://127.0.0.1:4000/hook', { requireHttps: false, allowList }).allowed).toBe(true);
    expect(judgeUrl('http://127.0.0.2:4000/hook', { requireHttps: false, allowList }).allowed).toBe(false);
  });

  it('refuses a local-only name outright while the allow-list is empty', () => {
    expect(judgeUrl('http://localhost:4000/hook', httpOk)).toEqual({ allowed: false, reason: expect.stringContaining('localhost') });
  });

  it('accepts a local-only name only when every address it resolves to is allow-listed', async () => {
    const allowList = createAllowList(['127.0.0.1/32', '10.1.0.0/16']);
    const opts = (answers: string[]) => ({
      requireHttps: false,
      allowList,
      resolver: async () => answers.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })),
    });
    expect((await checkTarget('http://localhost:4000/hook', opts(['127.0.0.1']))).allowed).toBe(true);
    expect((await checkTarget('http://hooks.internal/', opts(['10.1.2.3']))).allowed).toBe(true);
    const partly = await checkTarget('http://localhost:4000/hook', opts(['127.0.0.1', '::1']));
    expect(partly).toEqual({
      allowed: false,
      reason: expect.stringContaining('resolves to ::1, which SSRF_ALLOW_CIDRS does not cover'),
      clientReason: expect.stringContaining('it resolves to an address SSRF_ALLOW_CIDRS does not cover'),
    });
    expect(!partly.allowed && partly.clientReason).not.toContain('::1');
    const publicAnswer = await checkTarget('http://hooks.internal/', opts(['93.184.216.34']));
    expect(publicAnswer.allowed).toBe(false);
  });

  it('accepts a URL of exactly 2048 characters and refuses one of 2049', () => {
    const base = 'https://example.com/';
    expect(judgeUrl(base + 'a'.repeat(2048 - base.length), httpOk).allowed).toBe(true);
    expect(judgeUrl(base + 'a'.repeat(2049 - base.length), httpOk)).toEqual({ allowed: false, reason: 'URL longer than 2048 characters' });
  });

  it('accepts a 63-character label and a 253-character name, and refuses one more of each', () => {
    expect(judgeUrl(`https://${'a'.repeat(63)}.example.com/`, httpOk).allowed).toBe(true);
    const name253 = `${['a', 'b', 'c'].map((c) => c.repeat(63)).join('.')}.${'d'.repeat(57)}.com`;
    expect(name253).toHaveLength(253);
    expect(judgeUrl(`https://${name253}/`, httpOk).allowed).toBe(true);
    expect(judgeUrl(`https://x${name253}/`, httpOk)).toEqual({ allowed: false, reason: 'host name longer than 253 characters' });
  });
});

describe('checkTarget', () => {
  it('refuses a name with one public and one private answer', async () => {
    const { resolver } = tableResolver({ 'hooks.example.com': ['93.184.215.14', '10.0.0.5'] });
    await expect(checkTarget('https://hooks.example.com/in', { ...httpOk, resolver })).resolves.toEqual({
      allowed: false,
      reason: 'resolves to 10.0.0.5 (private)',
      clientReason: 'hooks.example.com resolves to a non-public address (private)',
    });
  });

  it('refuses whichever answer is forbidden, whatever its position or family', async () => {
    const { resolver } = tableResolver({ 'hooks.example.com': ['::1', '93.184.215.14'] });
    await expect(checkTarget('https://hooks.example.com/in', { ...httpOk, resolver })).resolves.toEqual({
      allowed: false,
      reason: 'resolves to ::1 (loopback)',
      clientReason: 'hooks.example.com resolves to a non-public address (loopback)',
    });
  });

  it('accepts a name whose every answer is public, resolving it once', async () => {
    const { resolver, calls } = tableResolver({ 'example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    const verdict = await checkTarget('https://example.com/hook', { ...httpOk, resolver });
    expect(verdict.allowed).toBe(true);
    expect(calls).toEqual(['example.com']);
  });

  it('accepts a private answer that the allow-list covers', async () => {
    const { resolver } = tableResolver({ 'receiver.example.com': ['10.1.2.3'] });
    const allowList = createAllowList(['10.1.0.0/16']);
    const verdict = await checkTarget('http://receiver.example.com/hook', { requireHttps: false, allowList, resolver });
    expect(verdict.allowed).toBe(true);
  });

  it('does not resolve IP-literal hosts or URLs already refused by their text', async () => {
    const { resolver, calls } = tableResolver({});
    expect((await checkTarget('https://8.8.8.8/hook', { ...httpOk, resolver })).allowed).toBe(true);
    expect((await checkTarget('ftp://example.com/', { ...httpOk, resolver })).allowed).toBe(false);
    expect(calls).toEqual([]);
  });

  it('refuses a name that does not resolve, naming the resolver error code', async () => {
    const { resolver } = tableResolver({});
    await expect(checkTarget('https://nowhere.example.com/', { ...httpOk, resolver })).resolves.toEqual({
      allowed: false,
      reason: 'nowhere.example.com does not resolve (ENOTFOUND)',
    });
  });

  it('refuses a name whose resolution takes longer than the timeout', async () => {
    const hanging: Resolver = () => new Promise(() => undefined);
    await expect(checkTarget('https://slow.example.com/', { ...httpOk, resolver: hanging, resolveTimeoutMs: 50 })).resolves.toEqual({
      allowed: false,
      reason: 'slow.example.com does not resolve (ETIMEOUT)',
    });
  });
});
