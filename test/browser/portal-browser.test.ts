/// <reference lib="dom" />
/**
 * The portal in a real browser (Debian's chromium through playwright-core) against the real engine: the API app,
 * the Redis listener and a delivery worker on this file's task queue, Temporal, Postgres, and receivers on 127.0.0.1.
 */
import { createHmac } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { mintPortalLink, openPortal, type PortalPage } from '../helpers/portal-page';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

const XSS = '<img src=x onerror="window.__pwned=1;alert(1)">';

describe('portal in a real browser (Debian chromium)', () => {
  let engine: Engine;
  let bundle: WorkflowBundle;
  let browser: Browser;
  let receiver: Receiver;
  const opened: PortalPage[] = [];

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('portal-browser'), {
      startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await engine?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
  });

  const open = async (key: string) => {
    const portal = await openPortal(browser, engine.baseUrl, await mintPortalLink(engine.request.bind(engine), key));
    opened.push(portal);
    return portal;
  };
  /**
   * The first request to a path: the receiver is shared by the file's endpoints, so a test waits for its own path.
   */
  const requestTo = (path: string) => waitFor(() => receiver.requests.find((r) => r.path === path), 30_000, `a request to ${path}`);
  const newSubscription = async (key: string, body: object) => {
    const res = await engine.request('POST', '/webhooks/subscriptions', key, { events: ['*'], ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; url: string };
  };

  it('opens a link, creates an endpoint to a local receiver, sends a test event and sees it SUCCESS with its health', async () => {
    const owner = await engine.newAccount('portal-owner');
    const createdUrl = `${receiver.origin}/created-in-portal`;
    const portal = await open(owner.key);
    const { page } = portal;
    await page.locator('#create').waitFor();
    expect(page.url()).toBe(`${engine.baseUrl}/portal`);
    await page.fill('#create input[name=url]', createdUrl);
    await page.fill('#create input[name=events]', 'CONVERSATION_CREATED, NEW_MESSAGE_FROM_VISITOR');
    await page.fill('#create input[name=description]', 'CRM sync');
    await portal.screenshot('portal-create.png');
    await page.click('#create button[type=submit]');
    const secret = await page.locator('#secret code').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.locator('#endpoints tbody tr', { hasText: createdUrl }).waitFor();

    await page.locator('#endpoints tbody tr', { hasText: createdUrl }).locator('button.send-test').click();
    await page.locator('#message', { hasText: 'Test event sent' }).waitFor();
    await page.locator('#deliveries tbody tr .status', { hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    const request = await requestTo('/created-in-portal');
    expect(request.json<{ type: string }>().type).toBe('WEBHOOK_TEST');

    // The token travels in the Authorization header of every API call; no cookie exists to ride along.
    expect(portal.apiRequests.length).toBeGreaterThan(2);
    for (const sent of portal.apiRequests) {
      expect(sent.headers.authorization).toMatch(/^Bearer whp_/);
      expect(sent.headers.cookie).toBeUndefined();
    }
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.content()).not.toContain(secret);

    await page.click('text=← Endpoints');
    const row = page.locator('#endpoints tbody tr', { hasText: createdUrl });
    await row.locator('.last-success', { hasText: 'UTC' }).waitFor();
    expect(await row.locator('.failures').textContent()).toBe('none');
    expect(await row.locator('.state').textContent()).toBe('active');
    expect(portal.problems).toEqual([]);
  });

  it("shows a failing endpoint's attempts with an <img onerror> answer as text, and retries one to SUCCESS", async () => {
    const owner = await engine.newAccount('portal-failing');
    receiver.setDefault({ status: 500, headers: { 'content-type': 'text/html' }, body: XSS });
    const sub = await newSubscription(owner.key, { url: receiver.url, description: 'flaky receiver' });
    await engine.publish(newEvent(owner.accountId, 'CONVERSATION_CREATED'));
    await waitFor(
      async () => {
        const res = await engine.request('GET', `/webhooks/subscriptions/${sub.id}/deliveries?status=FAILURE`, owner.key);
        return res.body.data.length === 1;
      },
      30_000,
      'a FAILURE delivery',
    );

    const portal = await open(owner.key);
    const { page } = portal;
    const row = page.locator('#endpoints tbody tr', { hasText: receiver.url });
    await row.waitFor();
    expect(await row.locator('.last-success').textContent()).toBe('never');
    expect(await row.locator('.failures').textContent()).toMatch(/^3 failed attempts since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await row.locator('button', { hasText: 'Open' }).click();
    await page.locator('#deliveries tbody tr').first().waitFor();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/deliveries?') && r.url().includes('status=FAILURE')),
      page.selectOption('#status-filter', 'FAILURE'),
    ]);
    await page.locator('#deliveries tbody tr .status', { hasText: 'FAILURE' }).waitFor();
    await page.click('#deliveries button.open-attempts');

    await page.locator('#attempts tbody tr').nth(2).waitFor();
    expect(await page.locator('#attempts tbody tr').count()).toBe(3);
    expect(await page.locator('#attempts .status-code').allTextContents()).toEqual(['500', '500', '500']);
    expect(await page.locator('#attempts pre.response').first().textContent()).toBe(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await portal.screenshot('portal-attempts.png');

    receiver.setDefault({ status: 200, body: 'fine now' });
    await page.click('#retry');
    await page.locator('#delivery-status', { hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#attempts .status-code').allTextContents()).toEqual(['500', '500', '500', '200']);
    expect(await page.locator('#attempts pre.response').last().textContent()).toBe('fine now');
    // The success ends the streak: the endpoint's health says so.
    await page.click('text=← Endpoint');
    await page.locator('#health').waitFor();
    expect(await page.locator('#health .failures').textContent()).toBe('none');
    expect(await page.locator('#health .last-success').textContent()).toMatch(/ UTC$/);
    expect(await page.locator('#health .state').textContent()).toBe('active');
    expect(portal.dialogs).toEqual([]);
    expect(portal.problems).toEqual([]);
  });

  it("shows each endpoint's health: a healthy one, a failing one, and one the engine switched off after a 410", async () => {
    const owner = await engine.newAccount('portal-health');
    receiver.setDefault((request) => ({
      status: request.path.startsWith('/gone') ? 410 : request.path.startsWith('/failing') ? 500 : 200,
    }));
    // CONVERSATION_CREATED only: the SUBSCRIPTION_DISABLED event the 410 causes goes to none of them.
    const events = ['CONVERSATION_CREATED'];
    const healthy = await newSubscription(owner.key, { url: `${receiver.origin}/healthy`, events, description: 'CRM sync' });
    const failing = await newSubscription(owner.key, {
      url: `${receiver.origin}/failing`,
      events,
      description: 'analytics (receiver broken)',
    });
    const gone = await newSubscription(owner.key, { url: `${receiver.origin}/gone`, events, description: 'old integration' });
    await engine.publish(newEvent(owner.accountId, 'CONVERSATION_CREATED'));
    await waitFor(
      async () => {
        const settled = await Promise.all(
          [healthy, failing, gone].map(
            async (sub) =>
              (await engine.request('GET', `/webhooks/subscriptions/${sub.id}/deliveries?status=PENDING`, owner.key)).body.data.length ===
                0 && (await engine.request('GET', `/webhooks/subscriptions/${sub.id}/deliveries`, owner.key)).body.data.length === 1,
          ),
        );
        return settled.every(Boolean);
      },
      30_000,
      'three settled deliveries',
    );

    const portal = await open(owner.key);
    const { page } = portal;
    const rowOf = (sub: { id: string }) => page.locator(`#endpoints tbody tr[data-id="${sub.id}"]`);
    await rowOf(gone).waitFor();
    expect(await rowOf(healthy).locator('.state').textContent()).toBe('active');
    expect(await rowOf(healthy).locator('.last-success').textContent()).toMatch(/ UTC$/);
    expect(await rowOf(healthy).locator('.failures').textContent()).toBe('none');
    expect(await rowOf(failing).locator('.state').textContent()).toBe('active');
    expect(await rowOf(failing).locator('.last-success').textContent()).toBe('never');
    expect(await rowOf(failing).locator('.failures').textContent()).toMatch(/^3 failed attempts since .* UTC$/);
    expect(await rowOf(gone).locator('.state').textContent()).toMatch(/^disabled \(gone\) at \d{4}-\d\d-\d\d .* UTC$/);
    expect(await rowOf(gone).getAttribute('class')).toBe('inactive');
    expect(await rowOf(gone).locator('button.send-test').count()).toBe(0);
    expect(await rowOf(healthy).locator('button.send-test').count()).toBe(1);
    await portal.screenshot('portal-endpoints.png');
    expect(portal.problems).toEqual([]);
  });

  it('edits an endpoint, refuses a bad edit with the reason, rotates its secret (the new one shown once) and deletes it', async () => {
    const owner = await engine.newAccount('portal-edit');
    const editedUrl = `${receiver.origin}/edited`;
    const sub = await newSubscription(owner.key, { url: editedUrl, description: 'before' });
    const portal = await open(owner.key);
    const { page } = portal;
    await page.locator('#endpoints tbody tr', { hasText: editedUrl }).locator('button', { hasText: 'Open' }).click();
    await page.locator('#health').waitFor();
    await page.click('#edit-section summary');
    await page.fill('#edit input[name=description]', 'after: CRM sync');
    await page.fill('#edit input[name=events]', 'CONVERSATION_CLOSED, NEW_MESSAGE_FROM_VISITOR');
    await page.fill('#edit input[name=rateLimitPerSecond]', '5');
    await page.check('#edit input[name=ordered]');
    await page.uncheck('#edit input[name=isActive]');
    await portal.screenshot('portal-edit.png');
    await page.click('#edit button[type=submit]');
    await page.locator('#message', { hasText: 'Endpoint saved.' }).waitFor();
    expect(await page.locator('#health .state').textContent()).toBe('paused');
    expect(await page.locator('#send-test').isDisabled()).toBe(true);
    await page.locator('#inactive-note').waitFor();
    expect(await page.locator('#health .rate-limit').textContent()).toBe('5/s');
    expect(await page.locator('#health .ordered').textContent()).toMatch(/^yes/);
    expect(await page.locator('#health .events').textContent()).toBe('CONVERSATION_CLOSED, NEW_MESSAGE_FROM_VISITOR');
    expect(await page.locator('#endpoint-description').textContent()).toBe('after: CRM sync');
    const saved = await engine.request('GET', `/webhooks/subscriptions/${sub.id}`, owner.key);
    expect(saved.body).toMatchObject({
      description: 'after: CRM sync',
      events: ['CONVERSATION_CLOSED', 'NEW_MESSAGE_FROM_VISITOR'],
      rateLimitPerSecond: 5,
      ordered: true,
      isActive: false,
    });

    await page.click('#edit-section summary');
    await page.fill('#edit input[name=events]', 'NOT_AN_EVENT');
    await page.click('#edit button[type=submit]');
    await page.locator('#error', { hasText: 'unknown event type' }).waitFor();
    expect((await engine.request('GET', `/webhooks/subscriptions/${sub.id}`, owner.key)).body.events).toEqual(saved.body.events);

    await page.click('#rotate');
    const rotated = await page.locator('#secret code').textContent();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(sub.secret);
    await page.reload();
    await page.locator('#endpoints').waitFor();
    expect(await page.content()).not.toContain(rotated);

    // The new secret signs from now on: a sample CONVERSATION_CREATED sent from the page verifies with it.
    expect((await engine.request('PATCH', `/webhooks/subscriptions/${sub.id}`, owner.key, { isActive: true })).status).toBe(200);
    await page.locator('#endpoints tbody tr', { hasText: editedUrl }).locator('button', { hasText: 'Open' }).click();
    await page.selectOption('#test-type', 'CONVERSATION_CREATED');
    await page.click('#send-test');
    await page.locator('#deliveries tbody tr .status', { hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    const delivered = await requestTo('/edited');
    expect(delivered.json<{ type: string }>().type).toBe('CONVERSATION_CREATED');
    expect(delivered.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', rotated!).update(delivered.body).digest('hex')}`);

    // Delete takes a second, explicit click.
    await page.click('#delete');
    expect((await engine.request('GET', `/webhooks/subscriptions/${sub.id}`, owner.key)).status).toBe(200);
    await page.click('#confirm-delete');
    await page.locator('#message', { hasText: 'Endpoint deleted.' }).waitFor();
    expect(await page.locator(`#endpoints tbody tr[data-id="${sub.id}"]`).count()).toBe(0);
    expect((await engine.request('GET', `/webhooks/subscriptions/${sub.id}`, owner.key)).status).toBe(404);
    expect(portal.problems.filter((p) => !p.includes('400'))).toEqual([]);
  });

  it("recovers an endpoint's failed deliveries of a window from the page", async () => {
    const owner = await engine.newAccount('portal-recover');
    receiver.setDefault({ status: 500 });
    const sub = await newSubscription(owner.key, { url: receiver.url });
    await engine.publish(newEvent(owner.accountId));
    await engine.publish(newEvent(owner.accountId));
    await waitFor(
      async () => {
        const res = await engine.request('GET', `/webhooks/subscriptions/${sub.id}/deliveries?status=FAILURE`, owner.key);
        return res.body.data.length === 2;
      },
      30_000,
      'two FAILURE deliveries',
    );
    receiver.setDefault({ status: 200 });

    const portal = await open(owner.key);
    const { page } = portal;
    await page.locator('#endpoints tbody tr', { hasText: receiver.url }).locator('button', { hasText: 'Open' }).click();
    await page.click('#recover-section summary');
    await page.click('#recover button[type=submit]');
    await page.locator('#message', { hasText: '2 failed deliveries sent again.' }).waitFor();
    expect(await page.locator('#recover-next').count()).toBe(0); // the whole window fit in one call
    await waitFor(
      async () => (await page.locator('#deliveries .status', { hasText: 'SUCCESS' }).count()) === 2,
      30_000,
      'both SUCCESS on the page',
    );
    expect(portal.problems).toEqual([]);
  });

  it('renders an attacker-controlled description as literal text: no dialog, no element made of it', async () => {
    const owner = await engine.newAccount('portal-xss');
    await newSubscription(owner.key, { url: receiver.url, description: XSS });
    const portal = await open(owner.key);
    await portal.page.locator('#endpoints', { hasText: XSS }).waitFor();
    expect(await portal.page.locator('img').count()).toBe(0);
    expect(await portal.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(portal.dialogs).toEqual([]);
  });

  it("refuses a revoked and a garbage token with a message, and a foreign account's ids answer 404 through the page", async () => {
    const owner = await engine.newAccount('portal-refused');
    const sub = await newSubscription(owner.key, { url: `${receiver.origin}/secret-place` });
    const hash = await mintPortalLink(engine.request.bind(engine), owner.key, { expiresInSeconds: 60 });
    const id = /^#token=whp_([0-9a-f]{16})_/.exec(hash)![1];
    expect((await engine.request('DELETE', `/webhooks/portal-sessions/${id}`, owner.key)).status).toBe(204);
    for (const link of [hash, '#token=whp_0000000000000000_' + 'A'.repeat(43)]) {
      const portal = await openPortal(browser, engine.baseUrl, link);
      opened.push(portal);
      await portal.page.locator('#error').waitFor();
      expect(await portal.page.locator('#error').textContent()).toContain('invalid or has expired');
      expect(await portal.page.content()).not.toContain('secret-place');
    }

    const intruder = await engine.newAccount('portal-intruder');
    const portal = await open(intruder.key);
    await portal.page.locator('#endpoints').waitFor();
    expect(await portal.page.content()).not.toContain('secret-place');
    const statuses = await portal.page.evaluate(async (foreignId) => {
      const auth = { Authorization: `Bearer ${sessionStorage.getItem('portal-token')}` };
      const read = await fetch(`/portal/api/subscriptions/${foreignId}`, { headers: auth });
      const remove = await fetch(`/portal/api/subscriptions/${foreignId}`, { method: 'DELETE', headers: auth });
      return [read.status, remove.status];
    }, sub.id);
    expect(statuses).toEqual([404, 404]);
    expect((await engine.request('GET', `/webhooks/subscriptions/${sub.id}`, owner.key)).status).toBe(200);
  });
});
