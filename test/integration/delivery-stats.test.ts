/**
 * The endpoint page's data on the real API and Postgres: GET /webhooks/subscriptions/:id/delivery-stats counts
 * 100,000 deliveries of one subscription by outcome in hourly (24h) and 6-hourly (7d) buckets from an index-only
 * scan (the plan is checked, the time printed, not asserted); GET /webhooks/deliveries/:id carries the event's body,
 * capped; the list route finds a delivery by event id. Account scoping and hostile query strings: 404 / 400, never 5xx.
 */
import { DELIVERY_STATS_SQL, PAYLOAD_EXCERPT_CHARS } from '../../src/deliveries/delivery-read.repository';
import { statsRange } from '../../src/deliveries/delivery-stats';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness';

const BULK = 100_000;

describe('delivery stats, payload and event id search', () => {
  let api: ApiHarness;
  let owner: { accountId: string; key: string };
  let intruder: { accountId: string; key: string };
  let subscriptionId: string;
  let otherSubscriptionId: string;

  const get = (path: string, key = owner.key) => api.request('GET', path, { key });

  beforeAll(async () => {
    api = await startApiHarness({ deliveries: true });
    owner = await api.newAccount('stats-owner');
    intruder = await api.newAccount('stats-intruder');
    const create = async () =>
      (await api.request('POST', '/webhooks/subscriptions', { key: owner.key, body: { url: 'http://127.0.0.1:9/stats', events: ['*'] } }))
        .body.id as string;
    subscriptionId = await create();
    otherSubscriptionId = await create();
    // 100,000 deliveries of one subscription over the last 23 hours: 70% SUCCESS, 20% FAILURE, 10% PENDING; and as
    // many of another subscription, which the counts must leave out.
    const fill = (id: string, prefix: string) =>
      api.dataSource.query(
        `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, status, workflow_id, created_at)
         SELECT $1, $2, $3::text || g, 'CONVERSATION_CREATED',
                CASE WHEN g % 10 < 7 THEN 'SUCCESS' WHEN g % 10 < 9 THEN 'FAILURE' ELSE 'PENDING' END,
                'delivery:' || $3::text || g, now() - ((g * 7919) % 82800) * interval '1 second'
           FROM generate_series(1, $4::int) AS g`,
        [id, owner.accountId, prefix, BULK],
      );
    await fill(subscriptionId, 'bulk-');
    await fill(otherSubscriptionId, 'other-');
    await api.dataSource.query('VACUUM ANALYZE webhook_deliveries');
  }, 120_000);
  afterAll(() => api?.close());

  it('counts 100,000 deliveries of one subscription by outcome from an index-only scan', async () => {
    const statsPath = `/webhooks/subscriptions/${subscriptionId}/delivery-stats`;
    await get(statsPath); // warm: the first request pays for connections and caches
    const times: number[] = [];
    let day = await get(statsPath);
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      day = await get(`${statsPath}?window=24h`);
      times.push(performance.now() - started);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `delivery-stats for ${BULK} deliveries of one subscription: median ${sorted[2].toFixed(1)} ms ` +
        `(runs: ${times.map((t) => t.toFixed(1)).join(', ')} ms)`,
    );

    expect(day.status).toBe(200);
    expect(day.body.window).toBe('24h');
    expect(day.body.bucketSeconds).toBe(3600);
    expect(day.body.buckets).toHaveLength(24);
    expect(day.body.totals).toEqual({ SUCCESS: 70_000, FAILURE: 20_000, PENDING: 10_000 });
    const sum = (buckets: { counts: Record<string, number> }[]) =>
      buckets.reduce((n, b) => n + b.counts.SUCCESS + b.counts.FAILURE + b.counts.PENDING, 0);
    expect(sum(day.body.buckets)).toBe(BULK);
    expect(Date.parse(day.body.to) - Date.parse(day.body.from)).toBe(24 * 3_600_000);
    expect(Date.parse(day.body.buckets[1].start) - Date.parse(day.body.buckets[0].start)).toBe(3_600_000);

    const week = await get(`${statsPath}?window=7d`);
    expect(week.status).toBe(200);
    expect(week.body.bucketSeconds).toBe(6 * 3600);
    expect(week.body.buckets).toHaveLength(28);
    expect(week.body.totals).toEqual(day.body.totals);
    expect(sum(week.body.buckets)).toBe(BULK);

    const range = statsRange('24h', new Date());
    const plan = (
      (await api.dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${DELIVERY_STATS_SQL}`, [
        subscriptionId,
        range.from.toISOString(),
        range.to.toISOString(),
        range.bucketSeconds,
      ])) as { 'QUERY PLAN': string }[]
    )
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    console.log(`delivery-stats plan:\n${plan}`);
    // Every partition scan that finds rows is index-only (empty partitions of days ahead may be planned otherwise).
    const reading = plan.split('\n').filter((line) => / Scan .* on webhook_deliveries/.test(line) && !/actual time=\S+ rows=0 /.test(line));
    expect(reading.length).toBeGreaterThan(0);
    for (const line of reading) expect(line).toMatch(/Index Only Scan using \S+ on webhook_deliveries_\S+/);
  });

  it('answers the default window (24h), and 404 / 400 for what it cannot answer', async () => {
    const byDefault = await get(`/webhooks/subscriptions/${subscriptionId}/delivery-stats`, owner.key);
    expect(byDefault.body).toMatchObject({ window: '24h', totals: { SUCCESS: 70_000 } });
    const foreign = await get(`/webhooks/subscriptions/${subscriptionId}/delivery-stats`, intruder.key);
    expect(foreign.status).toBe(404);
    expect((await get('/webhooks/subscriptions/not-a-uuid/delivery-stats')).status).toBe(404);
    expect((await get('/webhooks/subscriptions/00000000-0000-4000-8000-000000000000/delivery-stats')).status).toBe(404);
    for (const query of ['window=30d', 'window=', 'window=24h&window=7d', 'window[a]=1', 'since=2026-01-01', 'window=%00', 'window=24H']) {
      const answer = await get(`/webhooks/subscriptions/${subscriptionId}/delivery-stats?${query}`);
      expect([query, answer.status, answer.body?.error?.code]).toEqual([query, 400, 'validation_failed']);
    }
  });

  it('shows the event body with a delivery, capped, to its account only', async () => {
    const small = `{"id":"evt-small-${Date.now()}","data":{"text":"<img src=x onerror=alert(1)> hello"}}`;
    const big = `{"id":"evt-big","data":"${'é'.repeat(PAYLOAD_EXCERPT_CHARS + 100)}"}`;
    const made: Record<string, string> = {};
    for (const [name, body] of [
      ['small', small],
      ['big', big],
      ['gone', '{}'],
    ]) {
      const eventId = `payload-${name}-${owner.accountId}`;
      await api.dataSource.query(`INSERT INTO webhook_events (id, account_id, type, body) VALUES ($1, $2, 'CONVERSATION_CREATED', $3)`, [
        eventId,
        owner.accountId,
        body,
      ]);
      const [row] = await api.dataSource.query(
        `INSERT INTO webhook_deliveries (subscription_id, account_id, event_id, event_type, status, workflow_id)
         VALUES ($1, $2, $3::text, 'CONVERSATION_CREATED', 'SUCCESS', 'delivery:' || $3::text) RETURNING id`,
        [otherSubscriptionId, owner.accountId, eventId],
      );
      made[name] = row.id;
    }
    await api.dataSource.query('DELETE FROM webhook_events WHERE id = $1', [`payload-gone-${owner.accountId}`]);

    const shown = await get(`/webhooks/deliveries/${made.small}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ payload: small, payloadTruncated: false });
    const cut = await get(`/webhooks/deliveries/${made.big}`);
    expect(cut.body.payloadTruncated).toBe(true);
    expect(cut.body.payload).toBe(big.slice(0, PAYLOAD_EXCERPT_CHARS));
    expect(await get(`/webhooks/deliveries/${made.gone}`)).toMatchObject({ status: 200, body: { payload: null, payloadTruncated: false } });
    expect((await get(`/webhooks/deliveries/${made.small}`, intruder.key)).status).toBe(404);
  });

  it('finds a delivery by event id, exactly, and refuses an event id no event can have', async () => {
    const list = (query: string, key = owner.key) => get(`/webhooks/subscriptions/${subscriptionId}/deliveries?${query}`, key);
    const found = await list('eventId=bulk-4242');
    expect(found.status).toBe(200);
    expect(found.body.data.map((d: { eventId: string }) => d.eventId)).toEqual(['bulk-4242']);
    expect(found.body.nextCursor).toBeNull();
    expect((await list('eventId=bulk-4242&status=PENDING')).body.data).toEqual([]);
    expect((await list('eventId=bulk-4242x')).body.data).toEqual([]);
    expect((await list(`eventId=bulk-${BULK + 1}`)).body.data).toEqual([]);
    expect((await list('eventId=BULK-4242')).body.data).toEqual([]);
    expect((await list('eventId=other-4242')).body.data).toEqual([]);
    expect((await list('eventId=bulk-4242', intruder.key)).status).toBe(404);
    for (const query of [
      'eventId=',
      `eventId=${'x'.repeat(201)}`,
      'eventId=a%00b',
      'eventId=a&eventId=b',
      'eventId[x]=1',
      'eventId=a%0Ab',
    ]) {
      const answer = await list(query);
      expect([query, answer.status, answer.body?.error?.code]).toEqual([query, 400, 'validation_failed']);
    }

    // The rows filled above have no event, so they are outside the day partitions: the unique index finds the one.
    const plan = (
      (await api.dataSource.query(
        `EXPLAIN (ANALYZE) SELECT * FROM webhook_deliveries WHERE account_id = $1 AND subscription_id = $2 AND event_id = $3`,
        [owner.accountId, subscriptionId, 'bulk-4242'],
      )) as { 'QUERY PLAN': string }[]
    ).map((row) => row['QUERY PLAN']);
    expect(plan.filter((line) => / on webhook_deliveries_before /.test(line))).toEqual([
      expect.stringMatching(/Index Scan using \S*event_id_subscription_id\S* on webhook_deliveries_before .*rows=1 loops=1/),
    ]);
  });
});
