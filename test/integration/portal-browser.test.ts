import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PUBLIC_HOST, startApiHarness, type ApiHarness } from '../helpers/api-harness';
import { launchChromium } from '../helpers/browser';

/** Screenshots go to a temporary folder; `PORTAL_SCREENSHOT_DIR=docs npm test` refreshes the README's pictures. */
const SCREENSHOT_DIR = process.env.PORTAL_SCREENSHOT_DIR ?? tmpdir();

const XSS = '<img src=x onerror="window.__pwned=1;alert(1)">';

describe('portal in a real browser (Debian chromium)', () => {
  let api: ApiHarness;
  let browser: Browser;

  beforeAll(async () => {
    api = await startApiHarness();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const mint = async (key: string, body: object = {}) => {
    const res = await api.request('POST', '/webhooks/portal-sessions', { key, body });
    expect(res.status).toBe(201);
    return new URL(res.body.url).hash;
  };

  it('opens a portal link, drops the token from the address bar, creates an endpoint and shows its secret once', async () => {
    const owner = await api.newAccount('browser-owner');
    const page = await browser.newPage();
    await page.goto(`${api.baseUrl}/portal${await mint(owner.key)}`);
    await page.locator('#endpoints').waitFor();
    expect(page.url()).toBe(`${api.baseUrl}/portal`);
    await page.fill('input[name=url]', `https://${PUBLIC_HOST}/from-portal`);
    await page.fill('input[name=events]', '*');
    await page.fill('input[name=description]', 'made in the portal');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'portal-create.png') });
    await page.click('#create button[type=submit]');
    await page.locator('#secret code').waitFor();
    expect(await page.locator('#secret code').textContent()).toMatch(/^whsec_/);
    await page.locator('#endpoints', { hasText: 'from-portal' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'portal-endpoints.png') });
    const listed = await api.request('GET', '/webhooks/subscriptions', { key: owner.key });
    expect(listed.body.data.map((s: { url: string }) => s.url)).toContain(`https://${PUBLIC_HOST}/from-portal`);
    await page.close();
  });

  it('renders an attacker-controlled description as literal text: no dialog, no script run', async () => {
    const owner = await api.newAccount('browser-xss');
    await api.request('POST', '/webhooks/subscriptions', { key: owner.key, body: { url: `https://${PUBLIC_HOST}/x`, events: ['*'], description: XSS } });
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(`${api.baseUrl}/portal${await mint(owner.key)}`);
    await page.locator('#endpoints', { hasText: XSS }).waitFor();
    expect(await page.locator('#endpoints img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('refuses an expired token and a garbage one with a message, and shows nothing of the account', async () => {
    const owner = await api.newAccount('browser-expired');
    await api.request('POST', '/webhooks/subscriptions', { key: owner.key, body: { url: `https://${PUBLIC_HOST}/secret-place`, events: ['*'] } });
    const hash = await mint(owner.key, { expiresInSeconds: 60 });
    const token = decodeURIComponent(hash.replace('#token=', ''));
    const id = /^whp_([0-9a-f]{16})_/.exec(token)![1];
    await api.request('DELETE', `/webhooks/portal-sessions/${id}`, { key: owner.key });
    for (const link of [hash, '#token=whp_0000000000000000_' + 'A'.repeat(43)]) {
      const page = await browser.newPage();
      await page.goto(`${api.baseUrl}/portal${link}`);
      await page.locator('#error').waitFor();
      expect(await page.locator('#error').textContent()).toContain('invalid or has expired');
      expect(await page.content()).not.toContain('secret-place');
      await page.close();
    }
  });
});
