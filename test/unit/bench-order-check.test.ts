import {
  checkOrder,
  drainRate,
  historySamplePoints,
  interleaved,
  orderedEventId,
  orderedShare,
  parseOrderedEventId,
  parseOrderedSize,
  type OrderedReceipt,
} from '../../bench/order-check';

/** A lane whose events each arrive at `start + 10 * seq` and are answered 2 ms later. */
const lane = (key: number, events: number, start = 0): OrderedReceipt[] =>
  Array.from({ length: events }, (_, seq) => ({ key, seq, requests: [[start + 10 * seq, start + 10 * seq + 2]] }));

describe('the ordered phase option', () => {
  const fallback = { keys: 500, events: 10 };

  it('takes <keys>x<events>, and the default when absent or bare', () => {
    expect(parseOrderedSize('50x5', fallback)).toEqual({ keys: 50, events: 5 });
    expect(parseOrderedSize(undefined, fallback)).toEqual(fallback);
    expect(parseOrderedSize('', fallback)).toEqual(fallback);
  });

  it('refuses anything else', () => {
    for (const bad of ['50', 'x5', '0x5', '5x0', '5x5x5', '-1x5', '1.5x2', 'axb']) expect(parseOrderedSize(bad, fallback)).toBeUndefined();
  });
});

describe('ordered event ids', () => {
  it('round-trip lane and seq, with or without the receiver suffix', () => {
    const id = orderedEventId('run1-ordered', 17, 3);
    expect(id).toBe('run1-ordered-k17-3');
    expect(parseOrderedEventId(id)).toEqual({ key: 17, seq: 3 });
    expect(parseOrderedEventId(`${id}@o`)).toEqual({ key: 17, seq: 3 });
    expect(parseOrderedEventId('run1-engine-r50-3')).toBeUndefined();
  });

  it('are published interleaved: every lane event 0, then every lane event 1', () => {
    expect(interleaved({ keys: 3, events: 2 })).toEqual([
      { key: 0, seq: 0 },
      { key: 1, seq: 0 },
      { key: 2, seq: 0 },
      { key: 0, seq: 1 },
      { key: 1, seq: 1 },
      { key: 2, seq: 1 },
    ]);
  });
});

describe('the order check', () => {
  it('passes lanes delivered one at a time in seq order, however lanes interleave', () => {
    const receipts = [...lane(0, 5, 0), ...lane(1, 5, 1), ...lane(2, 5, 3)].reverse();
    expect(checkOrder(receipts, { keys: 3, events: 5 })).toEqual({
      expected: 15,
      delivered: 15,
      lost: 0,
      duplicates: 0,
      violations: 0,
      lanesWithViolations: 0,
      examples: [],
    });
  });

  it('counts an event that arrives before the one before it', () => {
    const receipts = lane(0, 3);
    receipts[2] = { key: 0, seq: 2, requests: [[5, 6]] };
    const check = checkOrder(receipts, { keys: 1, events: 3 });
    expect(check.violations).toBe(1);
    expect(check.lanesWithViolations).toBe(1);
    expect(check.examples[0]).toMatch(/k0: event 2 arrived 5\.0 ms before event 1$/);
  });

  it("counts a request that arrives after the previous event's request but before its 2xx", () => {
    const receipts: OrderedReceipt[] = [
      { key: 0, seq: 0, requests: [[0, 10]] },
      { key: 0, seq: 1, requests: [[9.5, 12]] },
    ];
    const check = checkOrder(receipts, { keys: 1, events: 2 });
    expect(check.violations).toBe(1);
    expect(check.examples[0]).toMatch(/event 1 arrived 0\.5 ms before event 0's 2xx/);
  });

  it('accepts a request that arrives exactly when the previous 2xx was sent', () => {
    const receipts: OrderedReceipt[] = [
      { key: 0, seq: 0, requests: [[0, 10]] },
      { key: 0, seq: 1, requests: [[10, 12]] },
    ];
    expect(checkOrder(receipts, { keys: 1, events: 2 }).violations).toBe(0);
  });

  it('counts lost and duplicate events, and compares across a gap with the last received event', () => {
    const receipts = lane(0, 4).filter((r) => r.seq !== 1);
    receipts[0] = {
      key: 0,
      seq: 0,
      requests: [
        [0, 2],
        [50, 51],
      ],
    };
    const check = checkOrder(receipts, { keys: 2, events: 4 });
    expect(check).toMatchObject({ expected: 8, delivered: 3, lost: 5, duplicates: 1, violations: 0 });
  });

  it('uses the first request of a duplicated event', () => {
    const receipts: OrderedReceipt[] = [
      { key: 0, seq: 0, requests: [[0, 2]] },
      // A retry of event 1 after event 2 began is not a violation; event 2 waited for event 1's first 2xx.
      {
        key: 0,
        seq: 1,
        requests: [
          [30, 31],
          [5, 6],
        ],
      },
      { key: 0, seq: 2, requests: [[10, 12]] },
    ];
    expect(checkOrder(receipts, { keys: 1, events: 3 })).toMatchObject({ duplicates: 1, violations: 0 });
  });

  it('merges receipts given twice for one event', () => {
    const receipts: OrderedReceipt[] = [
      { key: 0, seq: 0, requests: [[0, 2]] },
      { key: 0, seq: 0, requests: [[3, 4]] },
    ];
    expect(checkOrder(receipts, { keys: 1, events: 1 })).toMatchObject({ delivered: 1, duplicates: 1 });
  });
});

describe('rate and share', () => {
  it('is events per second from the first publish to the last receipt', () => {
    expect(drainRate(5000, 1_000, 81_000)).toBe(62.5);
    expect(drainRate(0, 1_000, 81_000)).toBe(0);
    expect(drainRate(10, 1_000, 1_000)).toBe(0);
  });

  it('is the ordered rate over the unordered one, unknown when either is missing', () => {
    expect(orderedShare(40, 80)).toBe(0.5);
    expect(orderedShare(40, 0)).toBeNaN();
    expect(orderedShare(0, 80)).toBe(0);
    expect(orderedShare(Number.NaN, 80)).toBeNaN();
  });
});

describe('history sample points', () => {
  it('spread over lanes and seqs, seq 0 included, without repeats', () => {
    const points = historySamplePoints({ keys: 500, events: 10 }, 20);
    expect(points).toHaveLength(20);
    expect(new Set(points.map((p) => p.seq)).size).toBe(10);
    expect(new Set(points.map((p) => p.key)).size).toBe(20);
    expect(points[0]).toEqual({ key: 0, seq: 0 });
  });

  it('never ask for more than there is', () => {
    expect(historySamplePoints({ keys: 2, events: 2 }, 20)).toHaveLength(4);
  });
});
