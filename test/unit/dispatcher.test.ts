import { createDispatcher, type DeliveryStart, type Dispatcher, type DispatcherDeps } from '../../src/events/dispatcher';
import type { EventEnvelope } from '../../src/events/envelope';
import type { EventRepository, StoredEvent } from '../../src/events/event.repository';
import { createLogger } from '../../src/logger';

/** In-memory stand-in for the events table, with the same first-write-wins semantics. */
function memoryEvents() {
  const rows = new Map<string, StoredEvent & { body: string; receivedAt: number }>();
  const dataReads: string[] = [];
  const repo: EventRepository = {
    async store(envelope, body) {
      const existing = rows.get(envelope.id);
      if (existing) return { inserted: false, event: { ...existing } };
      const lane = envelope.orderingKey
        ? { orderingKey: envelope.orderingKey, position: String(rows.size + 1), streamEntryId: null }
        : null;
      const row = {
        id: envelope.id,
        accountId: envelope.accountId,
        type: envelope.type,
        dispatchedAt: null,
        lane,
        body,
        receivedAt: Date.now(),
      };
      rows.set(envelope.id, row);
      return { inserted: true, event: { ...row } };
    },
    async markDispatched(id) {
      const row = rows.get(id);
      if (row && !row.dispatchedAt) rows.set(id, { ...row, dispatchedAt: new Date() });
    },
    async findUndispatched(before, limit) {
      return [...rows.values()].filter((r) => !r.dispatchedAt && r.receivedAt < before.getTime()).slice(0, limit);
    },
    async findData(id) {
      dataReads.push(id);
      const row = rows.get(id);
      return row ? (JSON.parse(row.body) as { data?: unknown }).data : undefined;
    },
  };
  return { repo, rows, dataReads };
}

const envelope = (id: string, accountId = 'acc_1', type = 'NEW_MESSAGE_FROM_VISITOR'): EventEnvelope => ({
  id,
  type,
  accountId,
  occurredAt: '2026-11-28T18:00:00Z',
  data: {},
});

const subs: Array<{ id: string; url: string; filter?: Record<string, unknown> | null }> = [
  { id: 'sub-a', url: 'https://a.example.com/hook' },
  { id: 'sub-b', url: 'https://b.example.com:8443/x' },
];

const waitUntil = async (condition: () => boolean, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('dispatcher', () => {
  let dispatcher: Dispatcher;
  afterEach(async () => dispatcher?.stop());

  function setup(
    opts: {
      subscriptions?: Array<{ id: string; url: string; ordered?: boolean }>;
      start?: (s: DeliveryStart) => Promise<'started' | 'already-started'>;
      reserveLanePlaces?: DispatcherDeps['reserveLanePlaces'];
    } = {},
  ) {
    const events = memoryEvents();
    const started: DeliveryStart[] = [];
    const lookups: Array<[string, string]> = [];
    dispatcher = createDispatcher({
      events: events.repo,
      findSubscriptions: async (accountId, type) => {
        lookups.push([accountId, type]);
        return opts.subscriptions ?? subs;
      },
      reserveLanePlaces: opts.reserveLanePlaces,
      startDelivery: async (start) => {
        const result = await (opts.start ?? (async () => 'started' as const))(start);
        started.push(start);
        return result;
      },
      logger: createLogger('test', 'silent'),
      options: { retryInitialDelayMs: 10, retryMaxDelayMs: 40, sweepMinAgeMs: 0 },
    });
    return { events, started, lookups };
  }

  it('starts one delivery per matching subscription with the event and target, then marks the event dispatched', async () => {
    const { events, started, lookups } = setup();
    await expect(dispatcher.accept(envelope('e1'), '{}')).resolves.toBe('dispatched');
    expect(lookups).toEqual([['acc_1', 'NEW_MESSAGE_FROM_VISITOR']]);
    expect(started).toEqual([
      {
        eventId: 'e1',
        subscriptionId: 'sub-a',
        accountId: 'acc_1',
        eventType: 'NEW_MESSAGE_FROM_VISITOR',
        targetUrl: 'https://a.example.com/hook',
      },
      {
        eventId: 'e1',
        subscriptionId: 'sub-b',
        accountId: 'acc_1',
        eventType: 'NEW_MESSAGE_FROM_VISITOR',
        targetUrl: 'https://b.example.com:8443/x',
      },
    ]);
    expect(events.rows.get('e1')?.dispatchedAt).toBeInstanceOf(Date);
    expect(events.rows.get('e1')?.body).toBe('{}');
  });

  describe('filters', () => {
    const filtered = [
      { id: 'sub-vip', url: 'https://a.example.com/vip', filter: { tags: 'vip' } },
      { id: 'sub-all', url: 'https://a.example.com/all', filter: null },
      { id: 'sub-big', url: 'https://a.example.com/big', filter: { amount: { $gt: 100 } } },
    ];
    const withData = (id: string, data: Record<string, unknown>) => ({ ...envelope(id), data });
    const bodyOf = (e: EventEnvelope) => JSON.stringify(e);

    it("start deliveries only to the subscriptions whose filter the event's data satisfies, with the envelope in hand", async () => {
      const { started, events } = setup({ subscriptions: filtered });
      const vip = withData('e-vip', { tags: ['vip'], amount: '500' });
      await expect(dispatcher.accept(vip, bodyOf(vip))).resolves.toBe('dispatched');
      expect(started.map((s) => s.subscriptionId)).toEqual(['sub-vip', 'sub-all']);
      expect(events.dataReads).toEqual([]);
      expect(events.rows.get('e-vip')?.dispatchedAt).toBeInstanceOf(Date);
    });

    it('read the stored data on the sweep path, and only when a subscription has a filter', async () => {
      const { started, events } = setup({ subscriptions: filtered });
      const big = withData('e-big', { amount: 250 });
      await events.repo.store(big, bodyOf(big));
      events.rows.get('e-big')!.receivedAt -= 1_000;
      await expect(dispatcher.sweep()).resolves.toBe(1);
      expect(started.map((s) => s.subscriptionId)).toEqual(['sub-all', 'sub-big']);
      expect(events.dataReads).toEqual(['e-big']);
    });

    it('never read the data for subscriptions without filters', async () => {
      const { events } = setup();
      await events.repo.store(envelope('e-plain'), bodyOf(envelope('e-plain')));
      events.rows.get('e-plain')!.receivedAt -= 1_000;
      await dispatcher.sweep();
      expect(events.dataReads).toEqual([]);
    });

    it('use the stored copy, not a re-published one with other data', async () => {
      const { started, events } = setup({ subscriptions: filtered });
      const first = withData('e-dup', { amount: 1 });
      await events.repo.store(first, bodyOf(first));
      const second = withData('e-dup', { amount: 1000 });
      await expect(dispatcher.accept(second, bodyOf(second))).resolves.toBe('dispatched');
      expect(started.map((s) => s.subscriptionId)).toEqual(['sub-all']);
      expect(events.dataReads).toEqual(['e-dup']);
    });

    it('take no lane place on an ordered subscription whose filter leaves the event out', async () => {
      const events = memoryEvents();
      const reserved: string[][] = [];
      const started: DeliveryStart[] = [];
      dispatcher = createDispatcher({
        events: events.repo,
        findSubscriptions: async () => [
          { id: 'ordered-vip', url: 'https://a.example.com/o1', ordered: true, filter: { tags: 'vip' } },
          { id: 'ordered-all', url: 'https://a.example.com/o2', ordered: true, filter: null },
        ],
        reserveLanePlaces: async (_event, ids) => {
          reserved.push([...ids]);
          return ids.map((id) => ({ subscriptionId: id, url: `https://a.example.com/${id}` }));
        },
        startDelivery: async (start) => {
          started.push(start);
          return 'started';
        },
        logger: createLogger('test', 'silent'),
      });
      const event = { ...withData('e-lane', { tags: ['new'] }), orderingKey: 'conv-1' };
      await expect(dispatcher.accept(event, bodyOf(event))).resolves.toBe('dispatched');
      expect(reserved).toEqual([['ordered-all']]);
      expect(started.map((s) => [s.subscriptionId, s.lane?.orderingKey])).toEqual([['ordered-all', 'conv-1']]);
    });

    it('a filter that cannot apply to the data (a scalar where an object was expected) leaves the other subscriptions alone', async () => {
      const { started } = setup({ subscriptions: filtered });
      const odd = withData('e-odd', { tags: 'vip', amount: { nested: true } });
      await dispatcher.accept(odd, bodyOf(odd));
      expect(started.map((s) => s.subscriptionId)).toEqual(['sub-vip', 'sub-all']);
    });
  });

  it('starts nothing for an event with no matching subscription and still marks it dispatched', async () => {
    const { events, started } = setup({ subscriptions: [] });
    await expect(dispatcher.accept(envelope('e1'), '{}')).resolves.toBe('dispatched');
    expect(started).toEqual([]);
    expect(events.rows.get('e1')?.dispatchedAt).toBeInstanceOf(Date);
  });

  it('does nothing when an already dispatched event is published again', async () => {
    const { started } = setup();
    await dispatcher.accept(envelope('e1'), '{}');
    await expect(dispatcher.accept(envelope('e1'), '{"other":true}')).resolves.toBe('duplicate');
    expect(started).toHaveLength(2);
  });

  it('takes two copies of one event arriving at once as one stored event and one duplicate, whichever store returns first', async () => {
    const { events, started } = setup();
    // The second copy's store answers first (it found the row the first copy wrote): it must not dispatch in its place.
    const store = events.repo.store.bind(events.repo);
    let release!: () => void;
    const firstCopyStored = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    events.repo.store = async (...args) => {
      calls += 1;
      if (calls === 1) {
        const result = await store(...args);
        await firstCopyStored;
        return result;
      }
      return store(...args);
    };
    const first = dispatcher.accept(envelope('e1'), '{}');
    const second = dispatcher.accept(envelope('e1'), '{}');
    release();
    await expect(Promise.all([first, second])).resolves.toEqual(['dispatched', 'duplicate']);
    expect(started.map((s) => s.subscriptionId)).toEqual(['sub-a', 'sub-b']);
  });

  it('lets the second copy of an event store it when the first copy failed', async () => {
    const { events, started } = setup();
    const store = events.repo.store.bind(events.repo);
    let calls = 0;
    events.repo.store = async (...args) => {
      calls += 1;
      if (calls === 1) throw new Error('Connection terminated unexpectedly');
      return store(...args);
    };
    const first = dispatcher.accept(envelope('e1'), '{}');
    const second = dispatcher.accept(envelope('e1'), '{}');
    await expect(first).rejects.toThrow('Connection terminated');
    await expect(second).resolves.toBe('dispatched');
    expect(started.map((s) => s.subscriptionId)).toEqual(['sub-a', 'sub-b']);
  });

  it('counts a workflow that already exists as dispatched', async () => {
    const { events } = setup({ start: async () => 'already-started' });
    await expect(dispatcher.accept(envelope('e1'), '{}')).resolves.toBe('dispatched');
    expect(events.rows.get('e1')?.dispatchedAt).toBeInstanceOf(Date);
  });

  it('keeps an event whose starts fail and retries it in the background until the starts succeed', async () => {
    let failuresLeft = 3;
    const { events, started } = setup({
      start: async () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
        }
        return 'started';
      },
    });
    await expect(dispatcher.accept(envelope('e1'), '{}')).resolves.toBe('deferred');
    expect(events.rows.get('e1')?.dispatchedAt).toBeNull();
    expect(dispatcher.pending()).toBe(1);
    await waitUntil(() => events.rows.get('e1')?.dispatchedAt instanceof Date);
    expect(dispatcher.pending()).toBe(0);
    expect(new Set(started.map((s) => s.subscriptionId))).toEqual(new Set(['sub-a', 'sub-b']));
  });

  it('dispatches an undispatched event again when it is published again', async () => {
    let fail = true;
    const { events } = setup({
      start: async () => {
        if (fail) throw new Error('down');
        return 'started';
      },
    });
    await dispatcher.accept(envelope('e1'), '{}');
    await dispatcher.stop();
    fail = false;
    dispatcher = createDispatcher({
      events: events.repo,
      findSubscriptions: async () => subs,
      startDelivery: async () => 'already-started',
      logger: createLogger('test', 'silent'),
    });
    await expect(dispatcher.accept(envelope('e1'), '{}')).resolves.toBe('dispatched');
    expect(events.rows.get('e1')?.dispatchedAt).toBeInstanceOf(Date);
  });

  it('sweeps events left undispatched by an earlier process', async () => {
    const { events, started } = setup();
    await events.repo.store(envelope('left-1'), '{}');
    await events.repo.store(envelope('left-2', 'acc_2'), '{}');
    // Left by an earlier process: received a while ago (the sweep takes events received before now - sweepMinAgeMs).
    for (const id of ['left-1', 'left-2']) events.rows.get(id)!.receivedAt -= 1_000;
    await expect(dispatcher.sweep()).resolves.toBe(2);
    expect(new Set(started.map((s) => s.eventId))).toEqual(new Set(['left-1', 'left-2']));
    expect(events.rows.get('left-2')?.dispatchedAt).toBeInstanceOf(Date);
    await expect(dispatcher.sweep()).resolves.toBe(0);
  });

  it('does not sweep an event that is already waiting for a background retry', async () => {
    let calls = 0;
    setup({
      start: async () => {
        calls += 1;
        throw new Error('down');
      },
    });
    await dispatcher.accept(envelope('e1'), '{}');
    const callsAfterAccept = calls;
    await expect(dispatcher.sweep()).resolves.toBe(0);
    expect(calls).toBe(callsAfterAccept);
  });

  it('takes the lane places of an event the sweep is dispatching before a copy of it resolves as a duplicate', async () => {
    // A listener killed between storing an event and taking its lane places: a new listener's sweep takes the event
    // while its stream entry, claimed, arrives again. The entry is acknowledged when accept resolves, and from then
    // on the intake barrier lets the next event of the lane go: the event's places must exist by then.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reservations: string[] = [];
    const done: string[] = [];
    const { events } = setup({
      subscriptions: [{ id: 'sub-o', url: 'https://o.example.com/hook', ordered: true }],
      reserveLanePlaces: async (event, subscriptionIds) => {
        reservations.push(event.id);
        // The sweep's reservation is slow (a busy database); any later one goes through.
        if (reservations.length === 1) await held;
        done.push(event.id);
        return subscriptionIds.map((subscriptionId) => ({ subscriptionId, url: 'https://o.example.com/hook' }));
      },
    });
    const laneEnvelope = { ...envelope('k'), orderingKey: 'conv-1' };
    await events.repo.store(laneEnvelope, '{}');
    events.rows.get('k')!.receivedAt -= 1_000;
    const swept = dispatcher.sweep();
    await waitUntil(() => reservations.length === 1);

    try {
      await expect(dispatcher.accept(laneEnvelope, '{}')).resolves.toBe('duplicate');
      expect(done).toContain('k');
    } finally {
      release();
    }
    await expect(swept).resolves.toBe(1);
  });

  it('stores and places Pub/Sub events of one lane key one at a time, in arrival order; other keys and stream entries do not wait', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reserved: string[] = [];
    const { events } = setup({
      subscriptions: [{ id: 'sub-o', url: 'https://o.example.com/hook', ordered: true }],
      reserveLanePlaces: async (event, subscriptionIds) => {
        // The first event's places take a while (a busy database).
        if (event.id === 'a1') await held;
        reserved.push(event.id);
        return subscriptionIds.map((subscriptionId) => ({ subscriptionId, url: 'https://o.example.com/hook' }));
      },
    });
    const first = dispatcher.accept({ ...envelope('a1'), orderingKey: 'conv-a' }, '{}');
    const second = dispatcher.accept({ ...envelope('a2'), orderingKey: 'conv-a' }, '{}');
    const otherKey = dispatcher.accept({ ...envelope('b1'), orderingKey: 'conv-b' }, '{}');
    const streamed = dispatcher.accept({ ...envelope('s1'), orderingKey: 'conv-a' }, '{}', { streamEntryId: '1-0' });
    try {
      await expect(otherKey).resolves.toBe('dispatched');
      await expect(streamed).resolves.toBe('dispatched');
      // The second event of conv-a is not even stored while the first one's places are being taken.
      expect(events.rows.has('a2')).toBe(false);
    } finally {
      release();
    }
    await expect(first).resolves.toBe('dispatched');
    await expect(second).resolves.toBe('dispatched');
    expect(reserved.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
  });

  it('retries a transient failure of a keyed Pub/Sub event within its turn: the next event of the key waits for it', async () => {
    const reserved: string[] = [];
    let failures = 2;
    setup({
      subscriptions: [{ id: 'sub-o', url: 'https://o.example.com/hook', ordered: true }],
      reserveLanePlaces: async (event, subscriptionIds) => {
        // The first event is stored, then its places fail twice as a lost connection would.
        if (event.id === 'k1' && failures > 0) {
          failures -= 1;
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        }
        reserved.push(event.id);
        return subscriptionIds.map((subscriptionId) => ({ subscriptionId, url: 'https://o.example.com/hook' }));
      },
    });
    const outcomes = await Promise.all([
      dispatcher.accept({ ...envelope('k1'), orderingKey: 'conv-k' }, '{}'),
      dispatcher.accept({ ...envelope('k2'), orderingKey: 'conv-k' }, '{}'),
    ]);
    // The first resolves as stored for the first time (its later tries found it stored, not yet dispatched).
    expect(outcomes).toEqual(['dispatched', 'dispatched']);
    expect(failures).toBe(0);
    expect(reserved).toEqual(['k1', 'k2']);
  });

  it('ends the pause of a keyed retry when stopped: stop does not wait for the backoff, and the event is left to the intake', async () => {
    let calls = 0;
    setup({
      subscriptions: [{ id: 'sub-o', url: 'https://o.example.com/hook', ordered: true }],
      reserveLanePlaces: async () => {
        calls += 1;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      },
    });
    const accepted = dispatcher.accept({ ...envelope('p1'), orderingKey: 'conv-p' }, '{}');
    const settled = accepted.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await waitUntil(() => calls >= 3);
    const callsAtStop = calls;
    await dispatcher.stop();
    await expect(settled).resolves.toBe('Connection terminated unexpectedly');
    // The pause was ended, not waited out and followed by one more try.
    expect(calls).toBe(callsAtStop);
  });

  it('does not retry a data error of a keyed event within its turn: the intake decides (it keeps it as rejected)', async () => {
    let calls = 0;
    setup({
      subscriptions: [{ id: 'sub-o', url: 'https://o.example.com/hook', ordered: true }],
      reserveLanePlaces: async () => {
        calls += 1;
        throw Object.assign(new Error('value too long'), { code: '22001' });
      },
    });
    await expect(dispatcher.accept({ ...envelope('d1'), orderingKey: 'conv-d' }, '{}')).rejects.toThrow('value too long');
    expect(calls).toBe(1);
  });

  it('stops retrying when stopped and leaves the event undispatched for the next sweep', async () => {
    const { events } = setup({
      start: async () => {
        throw new Error('down');
      },
    });
    await dispatcher.accept(envelope('e1'), '{}');
    await dispatcher.stop();
    expect(dispatcher.pending()).toBe(0);
    expect(events.rows.get('e1')?.dispatchedAt).toBeNull();
  });
});
