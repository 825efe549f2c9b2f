/// <reference lib="dom" />
/**
 * The endpoint page's chart, the attempt view's payload and the log's event id search, in a real browser (Debian's
 * chromium) against the real engine: deliveries made in the test (three successes, one failure after its retries)
 * show as stacked bars in the current hour, beside seeded older ones; the 7-day toggle redraws the chart; a search by
 * event id finds the one delivery, whose attempt view shows the event body exactly as stored, as text.
 */
import type { Browser } from 'playwright-core';
import { newEvent, waitFor, type Engine } from '../helpers/engine';
import { mintPortalLink, openPortal, type PortalPage } from '../helpers/portal-page';
import type { Receiver } from '../helpers/receiver';
import { startPortalWorld, type PortalWorld } from '../helpers/portal-world';

const HOUR = 3_600_000;

describe('endpoint chart, payload view and event id search in the portal (Debian chromium)', () => {
  let engine: Engine;
  let browser: Browser;
  let receiver: Receiver;
  let portal: PortalPage | undefined;

  let world: PortalWorld | undefined;

  beforeAll(async () => {
    world = await startPortalWorld('portal-chart');
    ({ engine, browser, receiver } = world);
  }, 120_000);
  afterAll(async () => {
    await portal?.close();
    await world?.close();
  });

  it('draws the deliveries made by outcome, toggles to 7 days, finds a delivery by event id and shows its payload as text', async () => {
    const owner = await engine.newAccount('portal-chart');
    const created = await engine.request('POST', '/webhooks/subscriptions', owner.key, {
      url: `${receiver.origin}/chart`,
      events: ['*'],
      description: 'charted endpoint',
    });
    const subscriptionId = created.body.id as string;
    // Older deliveries, two hours to six days old: the chart's history beside what the test delivers now.
    await engine.dataSource.query(
      `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, status, attempts, workflow_id, created_at)
       SELECT $1::uuid, $2, 'evt-chart-seed-' || n, 'CONVERSATION_CREATED',
              CASE WHEN n % 7 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END, 1, 'delivery:evt-chart-seed-' || n,
              now() - interval '2 hours' - ((n * 7919) % 500000) * interval '1 second' * (1 + n % 2)
         FROM generate_series(1, 600) AS n`,
      [subscriptionId, owner.accountId],
    );
    const deliveredAfter = Math.floor(Date.now() / HOUR) * HOUR;

    const finished = (eventId: string) =>
      waitFor(
        async () =>
          (
            await engine.dataSource.query(
              `SELECT id FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2 AND status <> 'PENDING'`,
              [eventId, subscriptionId],
            )
          )[0]?.id as string | undefined,
        30_000,
        `delivery of ${eventId}`,
      );
    // One failure (every attempt answered 503), then three successes.
    receiver.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
    const failed = newEvent(owner.accountId, 'NEW_MESSAGE_FROM_VISITOR', {
      text: '<img src=x onerror=alert(1)> <b>not bold</b>',
      visitor: { name: 'Ada' },
    });
    await engine.publish(failed);
    const failedDeliveryId = await finished(failed.id);
    for (let i = 0; i < 3; i += 1) {
      const ok = newEvent(owner.accountId, 'CONVERSATION_CREATED', { n: i });
      await engine.publish(ok);
      await finished(ok.id);
    }

    portal = await openPortal(browser, engine.baseUrl, await mintPortalLink(engine.request.bind(engine), owner.key));
    const { page } = portal;
    await page.locator('#endpoints tbody tr', { hasText: 'charted endpoint' }).locator('button', { hasText: 'Open' }).click();
    await page.locator('#delivery-chart svg .bar').first().waitFor();

    const bars = () =>
      page.locator('#delivery-chart .bar').evaluateAll((nodes) =>
        nodes.map((n) => ({
          start: n.getAttribute('data-start') as string,
          success: Number(n.getAttribute('data-success')),
          failure: Number(n.getAttribute('data-failure')),
          pending: Number(n.getAttribute('data-pending')),
          title: n.querySelector('title')?.textContent ?? '',
          segments: Array.from(n.querySelectorAll('.segment'), (s) => s.getAttribute('class')),
        })),
      );
    const day = await bars();
    expect(day).toHaveLength(24);
    const recent = day.filter((b) => Date.parse(b.start) >= deliveredAfter);
    expect(recent.reduce((n, b) => n + b.success, 0)).toBe(3);
    expect(recent.reduce((n, b) => n + b.failure, 0)).toBe(1);
    const newest = recent.at(-1)!;
    expect(newest.segments.length).toBeGreaterThan(0);
    expect(newest.title).toMatch(/UTC: \d+ succeeded, \d+ failed, 0 pending$/);
    // The page shows what the API counts.
    const stats = (await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/delivery-stats?window=24h`, owner.key)).body;
    expect(day.map((b) => [b.start, b.success, b.failure, b.pending])).toEqual(
      stats.buckets.map((b: { start: string; counts: Record<string, number> }) => [
        b.start,
        b.counts.SUCCESS,
        b.counts.FAILURE,
        b.counts.PENDING,
      ]),
    );
    expect(await page.locator('#chart-totals').textContent()).toBe(
      `${stats.totals.SUCCESS} succeeded${stats.totals.FAILURE} failed${stats.totals.PENDING} pending`,
    );
    expect(await page.locator('#chart-svg').getAttribute('aria-label')).toContain(`${stats.totals.SUCCESS} succeeded`);
    await portal.screenshot('portal-endpoint-chart.png');

    await page.click('#chart-7d');
    await page.locator('#delivery-chart[data-window="7d"]').waitFor();
    const week = await bars();
    expect(week).toHaveLength(28);
    const weekStats = (await engine.request('GET', `/webhooks/subscriptions/${subscriptionId}/delivery-stats?window=7d`, owner.key)).body;
    expect(week.reduce((n, b) => n + b.success + b.failure + b.pending, 0)).toBe(
      weekStats.totals.SUCCESS + weekStats.totals.FAILURE + weekStats.totals.PENDING,
    );
    expect(weekStats.totals.SUCCESS + weekStats.totals.FAILURE).toBeGreaterThan(stats.totals.SUCCESS + stats.totals.FAILURE);
    expect(await page.locator('#chart-7d').getAttribute('aria-pressed')).toBe('true');

    // Search by event id: exactly the one delivery, then its attempts and payload.
    await page.fill('#event-id-search', failed.id);
    await page.click('#search');
    await page.locator('#clear-search').waitFor(); // shown once the log shows a search's answer
    expect(await page.locator('#deliveries tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual([
      failedDeliveryId,
    ]);
    await page.fill('#event-id-search', `${failed.id}-nope`);
    await page.click('#search');
    await page.locator('#deliveries', { hasText: 'No delivery of event' }).waitFor();
    await page.click('#clear-search');
    await page.locator('#clear-search').waitFor({ state: 'detached' });
    expect(await page.locator('#deliveries tbody tr').count()).toBe(25);
    await page.fill('#event-id-search', failed.id);
    await page.click('#search');
    await page.locator('#clear-search').waitFor();
    await page.locator(`#deliveries tbody tr[data-id="${failedDeliveryId}"] .open-attempts`).click();

    await page.locator('#payload').waitFor();
    const [{ body: stored }] = await engine.dataSource.query('SELECT body FROM webhook_events WHERE id = $1', [failed.id]);
    expect(await page.locator('#payload').textContent()).toBe(stored);
    expect(stored).toContain('<img src=x onerror=alert(1)>');
    expect(await page.locator('#payload img, #payload b').count()).toBe(0);
    expect(await page.locator('#payload-truncated').count()).toBe(0);
    await portal.screenshot('portal-payload.png');
    expect(portal.dialogs).toEqual([]);
    expect(portal.problems).toEqual([]);
  });
});
