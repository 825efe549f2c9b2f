/// <reference lib="dom" />
/**
 * The portal's delivery log on thousands of deliveries, and its defences, in a real browser (Debian's chromium)
 * against the real API app on Postgres: one page at a time through the API's cursor, status filters, CSRF-safe
 * writes (the token only ever in an Authorization header), and the CSP refusing inline script.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startEngine, testConfig, type Engine } from '../helpers/engine';
import { mintPortalLink, openPortal, type PortalPage } from '../helpers/portal-page';
import { startReceiver, type Receiver } from '../helpers/receiver';

const SEEDED = 1000;
const PAGE = 25;

describe('portal delivery log and defences in a real browser', () => {
  let engine: Engine;
  let browser: Browser;
  let receiver: Receiver;
  let owner: { accountId: string; key: string };
  let subscriptionId: string;
  const opened: PortalPage[] = [];

  /** Delivery ids in the order the log shows them (newest first), optionally of one status. */
  const expectedOrder = async (status?: string): Promise<string[]> => {
    const rows: Array<{ id: string }> = await engine.dataSource.query(
      `SELECT id FROM webhook_deliveries WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC, id DESC`,
      [subscriptionId, status ?? null],
    );
    return rows.map((r) => r.id);
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.setDefault({ status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>elsewhere</title>' });
    engine = await startEngine(testConfig('portal-log'), { listener: false });
    browser = await launchChromium();
    owner = await engine.newAccount('portal-log');
    const created = await engine.request('POST', '/webhooks/subscriptions', owner.key, {
      url: receiver.url,
      events: ['*'],
      description: 'busy endpoint',
    });
    subscriptionId = created.body.id;
    // A thousand finished deliveries, one a minute, every third one a FAILURE.
    await engine.dataSource.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, status, attempts, last_status_code,
                                       last_error, workflow_id, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, $2, 'evt-log-' || $4::text || '-' || n,
              CASE WHEN n % 2 = 0 THEN 'CONVERSATION_CREATED' ELSE 'NEW_MESSAGE_FROM_VISITOR' END,
              CASE WHEN n % 3 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
              CASE WHEN n % 3 = 0 THEN 8 ELSE 1 END,
              CASE WHEN n % 3 = 0 THEN 503 ELSE 200 END,
              CASE WHEN n % 3 = 0 THEN 'HTTP 503' ELSE NULL END,
              'delivery:evt-log-' || $4::text || '-' || n || ':' || $1::text,
              now() - n * interval '1 minute', now() - n * interval '1 minute'
       FROM generate_series(1, $3::int) AS n`,
      [subscriptionId, owner.accountId, SEEDED, process.env.TEST_RUN_ID],
    );
    // The health the attempts would have left: the newest delivery succeeded a minute ago.
    await engine.dataSource.query(
      `UPDATE webhook_subscriptions SET last_success_at = now() - interval '1 minute', consecutive_failures = 0, failing_since = NULL WHERE id = $1`,
      [subscriptionId],
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await engine?.close();
    await receiver?.close();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  const open = async () => {
    const portal = await openPortal(browser, engine.baseUrl, await mintPortalLink(engine.request.bind(engine), owner.key));
    opened.push(portal);
    return portal;
  };
  const shownIds = (portal: PortalPage) =>
    portal.page.locator('#deliveries tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const deliveryRequests = (portal: PortalPage) => portal.apiRequests.filter((r) => new URL(r.url).pathname.endsWith('/deliveries'));

  it(`shows ${SEEDED} deliveries one page at a time through the API's cursor, newer and older, with status filters`, async () => {
    const all = await expectedOrder();
    expect(all).toHaveLength(SEEDED);
    const portal = await open();
    const { page } = portal;
    await page.locator('#endpoints tbody tr', { hasText: 'busy endpoint' }).locator('button', { hasText: 'Open' }).click();
    await page.locator('#deliveries tbody tr').first().waitFor();
    expect(await shownIds(portal)).toEqual(all.slice(0, PAGE));
    // One request for the first page, of one page's size: the log never loads what it does not show.
    expect(deliveryRequests(portal).map((r) => new URL(r.url).searchParams.get('limit'))).toEqual([String(PAGE)]);
    await portal.screenshot('portal-deliveries.png');

    await page.click('#older');
    await page.locator(`#deliveries tbody tr[data-id="${all[PAGE]}"]`).waitFor();
    expect(await shownIds(portal)).toEqual(all.slice(PAGE, 2 * PAGE));
    await page.click('#older');
    await page.locator(`#deliveries tbody tr[data-id="${all[2 * PAGE]}"]`).waitFor();
    await page.click('#newer');
    await page.locator(`#deliveries tbody tr[data-id="${all[PAGE]}"]`).waitFor();
    await page.click('#newer');
    await page.locator(`#deliveries tbody tr[data-id="${all[0]}"]`).waitFor();
    expect(await page.locator('#newer').count()).toBe(0);

    const failures = await expectedOrder('FAILURE');
    await page.selectOption('#status-filter', 'FAILURE');
    // The page's last FAILURE row: the unfiltered page shown before it (where failures[0] is too) does not have it.
    await page.locator(`#deliveries tbody tr[data-id="${failures[PAGE - 1]}"]`).waitFor();
    expect(await shownIds(portal)).toEqual(failures.slice(0, PAGE));
    expect(new Set(await page.locator('#deliveries .status').allTextContents())).toEqual(new Set(['FAILURE']));
    await page.click('#older');
    await page.locator(`#deliveries tbody tr[data-id="${failures[PAGE]}"]`).waitFor();
    expect(await shownIds(portal)).toEqual(failures.slice(PAGE, 2 * PAGE));

    await page.selectOption('#status-filter', 'PENDING');
    await page.locator('#deliveries', { hasText: 'No PENDING deliveries.' }).waitFor();

    const sent = deliveryRequests(portal).map((r) => Object.fromEntries(new URL(r.url).searchParams));
    expect(sent.length).toBe(8);
    for (const query of sent) expect(query.limit).toBe(String(PAGE));
    expect(sent.filter((q) => q.status === 'FAILURE')).toHaveLength(2);
    expect(portal.problems).toEqual([]);
  });

  it("keeps writes CSRF-safe: another site cannot write with the browser's credentials, nor read or write across origins", async () => {
    const victim = await open();
    await victim.page.locator('#endpoints').waitFor();
    const token = await victim.page.evaluate(() => sessionStorage.getItem('portal-token'));
    expect(token).toMatch(/^whp_/);
    const before = (await engine.request('GET', '/webhooks/subscriptions', owner.key)).body.data.length;

    // An attacker's page on another origin (the receiver's port) in the same browser.
    const attacker = await browser.newPage();
    try {
      await attacker.goto(`${receiver.origin}/attacker`);
      const target = `${engine.baseUrl}/portal/api/subscriptions`;
      const body = JSON.stringify({ url: `${receiver.origin}/stolen`, events: ['*'] });
      const outcome = await attacker.evaluate(
        async ({ target, body, token }) => {
          // A "simple" cross-site request the browser sends without asking: it carries cookies, never a header.
          await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body });
          // A request with the Authorization header needs CORS approval, which the portal API never gives.
          let withHeader: string;
          try {
            await fetch(target, {
              method: 'POST',
              headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
              body,
            });
            withHeader = 'sent';
          } catch (error) {
            withHeader = `blocked: ${(error as Error).name}`;
          }
          let read: string;
          try {
            read = String((await fetch(target, { headers: { Authorization: `Bearer ${token}` } })).status);
          } catch (error) {
            read = `blocked: ${(error as Error).name}`;
          }
          return { withHeader, read };
        },
        { target, body, token },
      );
      expect(outcome).toEqual({ withHeader: 'blocked: TypeError', read: 'blocked: TypeError' });

      // A plain cross-site form post navigates to the API, which refuses it for want of a token.
      const answered = attacker.waitForResponse((res) => res.url() === target);
      await attacker.evaluate(
        ({ target, body }) => {
          const form = Object.assign(document.createElement('form'), { method: 'POST', action: target, enctype: 'text/plain' });
          form.append(Object.assign(document.createElement('input'), { name: body, value: '' }));
          document.body.append(form);
          form.submit();
        },
        { target, body },
      );
      expect((await answered).status()).toBe(401);
    } finally {
      await attacker.close();
    }
    const after = (await engine.request('GET', '/webhooks/subscriptions', owner.key)).body.data;
    expect(after).toHaveLength(before);
    expect(after.map((s: { url: string }) => s.url)).not.toContain(`${receiver.origin}/stolen`);

    // The API answers a preflight from elsewhere with no CORS grant.
    const preflight = await fetch(`${engine.baseUrl}/portal/api/subscriptions`, {
      method: 'OPTIONS',
      headers: {
        Origin: receiver.origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('runs no inline script (CSP) even if one is slipped into the page, and loads nothing from elsewhere', async () => {
    const portal = await open();
    const { page } = portal;
    await page.locator('#endpoints').waitFor();
    const ran = await page.evaluate(async () => {
      // Both would run synchronously (on insertion, on click) if allowed; the browser reports each blocked one as a
      // securitypolicyviolation event: wait for the two reports (or give up after a guard, and let the flags tell).
      const blocked: string[] = [];
      const reported = new Promise<void>((resolve) => {
        document.addEventListener('securitypolicyviolation', (event) => {
          if (event.effectiveDirective.startsWith('script-src')) blocked.push(event.effectiveDirective);
          if (blocked.length >= 2) resolve();
        });
        setTimeout(resolve, 10_000);
      });
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.append(script);
      const style = document.createElement('div');
      style.setAttribute('onclick', 'window.__handler = 1');
      document.body.append(style);
      style.click();
      await reported;
      const w = window as unknown as { __inline?: number; __handler?: number };
      return { inline: w.__inline ?? null, handler: w.__handler ?? null, blocked: blocked.length };
    });
    expect(ran).toMatchObject({ inline: null, handler: null });
    expect(ran.blocked).toBeGreaterThanOrEqual(2);
    expect(portal.problems.some((p) => p.includes('Content Security Policy'))).toBe(true);
    const origins = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).origin));
    expect(new Set(origins)).toEqual(new Set([engine.baseUrl]));
  });
});
