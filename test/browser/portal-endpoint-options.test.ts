/// <reference lib="dom" />
/**
 * Endpoint options in the portal, in a real browser against the real engine: create an endpoint with a filter, custom
 * headers and Ed25519 signing (its public key shown), see them on its page (header names only), edit them (bad JSON
 * and the API's refusals reported with the field), rotate its key, and send a test event that arrives with the header
 * and a v1a signature verifying with the shown key.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { waitFor, type Engine } from '../helpers/engine';
import { mintPortalLink, openPortal, type PortalPage } from '../helpers/portal-page';
import type { Receiver } from '../helpers/receiver';
import { startPortalWorld, type PortalWorld } from '../helpers/portal-world';

describe('endpoint options in the portal (Debian chromium)', () => {
  let engine: Engine;
  let browser: Browser;
  let receiver: Receiver;
  let portal: PortalPage | undefined;

  let world: PortalWorld | undefined;

  beforeAll(async () => {
    world = await startPortalWorld('portal-options');
    ({ engine, browser, receiver } = world);
  }, 120_000);
  afterAll(async () => {
    await portal?.close();
    await world?.close();
  });

  it('creates, shows, edits and rotates an endpoint with a filter, custom headers and Ed25519 signing', async () => {
    const owner = await engine.newAccount('portal-options');
    const url = `${receiver.origin}/options-in-portal`;
    portal = await openPortal(browser, engine.baseUrl, await mintPortalLink(engine.request.bind(engine), owner.key));
    const { page } = portal;
    await page.locator('#create').waitFor();
    await page.fill('#create input[name=url]', url);
    await page.fill('#create input[name=events]', '*');
    await page.fill('#create textarea[name=filter]', '{"message.attachments": {"$exists": true}}');
    await page.fill('#create textarea[name=headers]', 'Authorization: Bearer portal-hdr-5521\nX-Tenant: acme');
    await page.selectOption('#create select[name=signatureScheme]', 'ed25519');
    await page.click('#create button[type=submit]');
    const publicKey = (await page.locator('#public-key code').textContent()) as string;
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(await page.locator('#secret').count()).toBe(0);

    const [created] = (await engine.request('GET', '/webhooks/subscriptions', owner.key)).body.data;
    expect(created).toMatchObject({
      url,
      filter: { 'message.attachments': { $exists: true } },
      headers: { Authorization: 'Bearer portal-hdr-5521', 'X-Tenant': 'acme' },
      signatureScheme: 'ed25519',
      publicKey,
    });

    await page.locator('#endpoints tbody tr', { hasText: url }).locator('button', { hasText: 'Open' }).click();
    await page.locator('#health').waitFor();
    expect(await page.locator('#health .filter').textContent()).toBe('{"message.attachments":{"$exists":true}}');
    expect(await page.locator('#health .headers').textContent()).toBe('Authorization, X-Tenant');
    expect(await page.locator('#health .signature').textContent()).toBe(`Ed25519, public key ${publicKey}`);
    expect(await page.locator('#health').textContent()).not.toContain('portal-hdr-5521');

    // Refused edits say why, naming the field, and change nothing.
    await page.click('#edit-section summary');
    await page.fill('#edit textarea[name=filter]', '{"message.attachments": ');
    await page.click('#edit button[type=submit]');
    await page.locator('#error', { hasText: 'filter: not valid JSON' }).waitFor();
    await page.fill('#edit textarea[name=filter]', '{"amount": {"$regex": "^1"}}');
    await page.click('#edit button[type=submit]');
    await page.locator('#error li', { hasText: 'filter.amount.$regex' }).waitFor();
    await page.fill('#edit textarea[name=filter]', '');
    await page.fill('#edit textarea[name=headers]', 'Host: evil.example');
    await page.click('#edit button[type=submit]');
    await page.locator('#error li', { hasText: 'headers.Host' }).waitFor();
    expect((await engine.request('GET', `/webhooks/subscriptions/${created.id}`, owner.key)).body.filter).toEqual(created.filter);

    // A good edit: the filter removed (every event), one header kept.
    await page.fill('#edit textarea[name=headers]', 'Authorization: Bearer portal-hdr-5521');
    await page.click('#edit button[type=submit]');
    await page.locator('#message', { hasText: 'Endpoint saved.' }).waitFor();
    expect(await page.locator('#health .filter').textContent()).toBe('none (every event of its types)');
    expect(await page.locator('#health .headers').textContent()).toBe('Authorization');

    await page.click('#rotate');
    const rotated = (await page.locator('#public-key code').textContent()) as string;
    expect(rotated).toMatch(/^whpk_/);
    expect(rotated).not.toBe(publicKey);

    await page.click('#send-test');
    await page.locator('#deliveries tbody tr .status', { hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    const request = await waitFor(() => receiver.requests.find((r) => r.path === '/options-in-portal'), 30_000, 'the test event');
    expect(request.headers.authorization).toBe('Bearer portal-hdr-5521');
    expect(request.headers['x-tenant']).toBeUndefined();
    expect(request.headers['x-hub-signature-256']).toBeUndefined();
    const [newest, previous] = String(request.headers['webhook-signature']).split(' ');
    const signed = Buffer.concat([
      Buffer.from(`${String(request.headers['webhook-id'])}.${String(request.headers['webhook-timestamp'])}.`),
      request.body,
    ]);
    const keyOf = (k: string) =>
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(k.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
    expect(verify(null, signed, keyOf(rotated), Buffer.from(newest.slice(4), 'base64'))).toBe(true);
    expect(verify(null, signed, keyOf(publicKey), Buffer.from(previous.slice(4), 'base64'))).toBe(true);
    await portal.screenshot('portal-options.png');
    expect(portal.problems.filter((p) => !p.includes('400'))).toEqual([]);
  });
});
