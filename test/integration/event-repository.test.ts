/**
 * The event repository on a real Postgres: store once by id, and marking dispatched, which concurrent callers share
 * statements for (src/db/coalesced-write.ts): every event is marked, each call resolves after its own mark
 * committed, and an event already marked keeps its first mark.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/app/data-source';
import { createEventRepository, type EventRepository } from '../../src/events/event.repository';
import type { EventEnvelope } from '../../src/events/envelope';
import { waitFor } from '../helpers/engine';

let dataSource: DataSource;
let events: EventRepository;

beforeAll(async () => {
  dataSource = createDataSource(loadConfig({ ...process.env }).databaseUrl, { poolSize: 4 });
  await dataSource.initialize();
  events = createEventRepository(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
});

function envelope(): EventEnvelope {
  return {
    id: `evt_${randomUUID()}`,
    type: 'CONVERSATION_CREATED',
    accountId: 'acct_events_repo',
    occurredAt: new Date().toISOString(),
    data: {},
  };
}

async function dispatchedAt(ids: string[]): Promise<Map<string, Date | null>> {
  const rows: Array<{ id: string; dispatched_at: Date | null }> = await dataSource.query(
    'SELECT id, dispatched_at FROM webhook_events WHERE id = ANY($1::varchar[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.dispatched_at]));
}

describe('event repository', () => {
  it('stores an event once by id; the second store returns the stored one', async () => {
    const e = envelope();
    const first = await events.store(e, '{"a":1}');
    const second = await events.store(e, '{"a":2}');
    expect(first).toMatchObject({ inserted: true, event: { id: e.id, dispatchedAt: null } });
    expect(second).toMatchObject({ inserted: false, event: { id: e.id } });
    const [row] = await dataSource.query('SELECT body FROM webhook_events WHERE id = $1', [e.id]);
    expect(row.body).toBe('{"a":1}');
  });

  it('stores an id once across day partitions, also when many stores of it race on separate connections', async () => {
    // The table is partitioned by day, its key (id, received_at): the id's uniqueness is the store function's.
    const racing = envelope();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => events.store(racing, `{"copy":${i}}`)));
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [racing.id]);
    expect(n).toBe(1);

    // A first copy received on another day (its partition made for it) is still the stored one.
    const old = envelope();
    const yesterday = new Date(Date.now() - 24 * 60 * 60 * 1000);
    await dataSource.query(`SELECT webhooks_create_day_partition($1::date)`, [yesterday.toISOString().slice(0, 10)]);
    await dataSource.query(
      `INSERT INTO webhook_events (id, account_id, type, body, received_at) VALUES ($1, $2, $3, '{"first":true}', $4)`,
      [old.id, old.accountId, old.type, yesterday],
    );
    expect(await events.store(old, '{"first":false}')).toMatchObject({ inserted: false, event: { id: old.id } });
    const rows = await dataSource.query('SELECT body FROM webhook_events WHERE id = $1', [old.id]);
    expect(rows).toEqual([{ body: '{"first":true}' }]);
  });

  it('marks every one of many events marked at once, each call resolving once its mark is committed', async () => {
    const stored = await Promise.all(Array.from({ length: 60 }, () => envelope()).map(async (e) => (await events.store(e, '{}')).event.id));
    await Promise.all(
      stored.map(async (id) => {
        await events.markDispatched(id);
        const marks = await dispatchedAt([id]);
        expect(marks.get(id)).toBeInstanceOf(Date);
      }),
    );
    const marks = await dispatchedAt(stored);
    expect([...marks.values()].every((at) => at instanceof Date)).toBe(true);
    expect(
      await events.findUndispatched(new Date(Date.now() + 60_000), 10_000).then((left) => left.filter((e) => stored.includes(e.id))),
    ).toEqual([]);
  });

  it('keeps the first mark of an event marked again', async () => {
    const { event } = await events.store(envelope(), '{}');
    await events.markDispatched(event.id);
    const first = (await dispatchedAt([event.id])).get(event.id);
    // A mark written now would carry a later time than the first one: wait until the database's clock says so.
    await waitFor(
      async () =>
        (
          await dataSource.query(
            `SELECT date_trunc('milliseconds', now()) > date_trunc('milliseconds', dispatched_at) AS later FROM webhook_events WHERE id = $1`,
            [event.id],
          )
        )[0]?.later,
      5_000,
      'a later now()',
    );
    await Promise.all([events.markDispatched(event.id), events.markDispatched(event.id)]);
    expect((await dispatchedAt([event.id])).get(event.id)).toEqual(first);
  });
});

describe('findData', () => {
  it("reads back the stored event's data (the first copy's), and undefined for an event not stored", async () => {
    const first = { ...envelope(), data: { message: { attachments: [1] } } };
    await events.store(first, JSON.stringify(first));
    await events.store({ ...first, data: { other: true } }, JSON.stringify({ ...first, data: { other: true } }));
    await expect(events.findData(first.id)).resolves.toEqual({ message: { attachments: [1] } });
    await expect(events.findData(`evt_${randomUUID()}`)).resolves.toBeUndefined();
  });
});
