import { readdirSync } from 'node:fs';
import { PORTAL_STATIC_DIR } from '../../src/api/portal-page.router';
import { countSubscriptions, manualClock, PUBLIC_HOST, startApiHarness, type ApiHarness } from '../helpers/api-harness';

describe('portal sessions', () => {
  const clock = manualClock();
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness({ now: clock.now, env: { WEBHOOKS_PORTAL_BASE_URL: 'https://portal.example.com/' } });
  });
  afterAll(() => api.close());

  const get = async (path: string) => {
    const response = await fetch(`${api.baseUrl}${path}`);
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const tokenOf = (url: string) => decodeURIComponent(new URL(url).hash.replace(/^#token=/, ''));

  it('mints a link with the token in the fragment, default 1 h, and the token opens only its account under /portal/api', async () => {
    const owner = await api.newAccount('portal-owner');
    const created = await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body: {} });
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/^https:\/\/portal\.example\.com\/portal#token=whp_[0-9a-f]{16}_/);
    expect(new Date(created.body.expiresAt).getTime() - clock.now().getTime()).toBe(3600 * 1000);
    const token = tokenOf(created.body.url);

    const sub = await api.request('POST', '/portal/api/subscriptions', {
      key: token,
      body: { url: `https://${PUBLIC_HOST}/p`, events: ['*'] },
    });
    expect(sub.status).toBe(201);
    const listed = await api.request('GET', '/webhooks/subscriptions', { key: owner.key });
    expect(listed.body.data.map((s: { id: string }) => s.id)).toContain(sub.body.id);

    // The portal token is not an API key, and an API key does not open the portal API.
    expect((await api.request('GET', '/webhooks/subscriptions', { key: token })).status).toBe(401);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: owner.key })).status).toBe(401);
    // It cannot mint more sessions either.
    expect((await api.request('POST', '/webhooks/portal-sessions', { key: token, body: {} })).status).toBe(401);

    // Another account's portal sees 404 for the owner's subscription.
    const intruder = await api.newAccount('portal-intruder');
    const foreign = tokenOf((await api.request('POST', '/webhooks/portal-sessions', { key: intruder.key, body: {} })).body.url);
    expect((await api.request('GET', `/portal/api/subscriptions/${sub.body.id}`, { key: foreign })).status).toBe(404);
    expect((await api.request('DELETE', `/portal/api/subscriptions/${sub.body.id}`, { key: foreign })).status).toBe(404);
    expect((await api.request('GET', `/portal/api/subscriptions/${sub.body.id}`, { key: token })).status).toBe(200);
  });

  it('refuses the token after expiry and after revocation; another account cannot revoke it', async () => {
    const owner = await api.newAccount('portal-expiry');
    const created = await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body: { expiresInSeconds: 120 } });
    const token = tokenOf(created.body.url);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: token })).status).toBe(200);
    clock.advance(121_000);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: token })).status).toBe(401);

    const second = await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body: {} });
    const other = await api.newAccount('portal-other');
    expect((await api.request('DELETE', `/webhooks/portal-sessions/${second.body.id}`, { key: other.key })).status).toBe(404);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: tokenOf(second.body.url) })).status).toBe(200);
    expect((await api.request('DELETE', `/webhooks/portal-sessions/${second.body.id}`, { key: owner.key })).status).toBe(204);
    expect((await api.request('GET', '/portal/api/subscriptions', { key: tokenOf(second.body.url) })).status).toBe(401);
  });

  it('rejects a lifetime above 24 h or below a minute and unknown fields with 400 validation_failed', async () => {
    const owner = await api.newAccount('portal-validation');
    for (const body of [{ expiresInSeconds: 86_401 }, { expiresInSeconds: 10 }, { expiresInSeconds: 'x' }, { scope: 'all' }]) {
      const res = await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body: { expiresInSeconds: 86_400 } })).status).toBe(
      201,
    );
  });

  it('serves the page and its assets with a strict CSP, no-referrer and nosniff, and no inline script', async () => {
    for (const path of ['/portal', '/portal/assets/portal.js', '/portal/assets/portal.css']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const page = await get('/portal');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // Every module of the page is served as JavaScript and none of them parses HTML from a string.
    const modules = readdirSync(PORTAL_STATIC_DIR).filter((file) => file.endsWith('.js'));
    expect(modules.length).toBeGreaterThan(1);
    for (const file of modules) {
      const script = await get(`/portal/assets/${file}`);
      expect({ file, status: script.status }).toEqual({ file, status: 200 });
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      expect(script.headers.get('content-security-policy')).toContain("script-src 'self'");
      for (const sink of [
        'innerHTML',
        'outerHTML',
        'insertAdjacentHTML',
        'document.write',
        'DOMParser',
        'createContextualFragment',
        'eval(',
        'new Function',
      ]) {
        expect({ file, sink, found: script.text.includes(sink) }).toEqual({ file, sink, found: false });
      }
    }
  });

  it('answers CORS preflights from other origins with no grant, and ignores cookies: writes need the Authorization header', async () => {
    const owner = await api.newAccount('portal-csrf');
    const token = tokenOf((await api.request('POST', '/webhooks/portal-sessions', { key: owner.key, body: {} })).body.url);
    const preflight = await fetch(`${api.baseUrl}/portal/api/subscriptions`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    // The token in a cookie (or a query string) opens nothing: only the Authorization header does.
    for (const headers of [{ cookie: `portal-token=${token}; token=${token}` }, {} as Record<string, string>]) {
      const res = await fetch(`${api.baseUrl}/portal/api/subscriptions?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ url: `https://${PUBLIC_HOST}/csrf`, events: ['*'] }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await countSubscriptions(api.dataSource, owner.accountId)).toBe(0);
  });
});
