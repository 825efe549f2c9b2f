import type { OrderedResult } from '../../bench/ordered';
import { orderedSummary } from '../../bench/report';

const result = (overrides: Partial<OrderedResult> = {}): OrderedResult => ({
  plan: { keys: 500, events: 10, drainTimeoutMs: 300_000 },
  stream: 'bench:run:engine:stream',
  check: { expected: 5000, delivered: 5000, lost: 0, duplicates: 0, violations: 0, lanesWithViolations: 0, examples: [] },
  drainMs: 100_000,
  ratePerSecond: 50,
  badSignatures: 0,
  recordedSuccess: 5000,
  cpuSeconds: {},
  ownGroups: [],
  database: { xactCommit: 0, tupInserted: 0, tupUpdated: 0, tupFetched: 0 },
  ...overrides,
});

describe("the summary line's ordered part", () => {
  it('gives the drain rate, its share of the unordered sustained rate, violations, lost and duplicates', () => {
    expect(orderedSummary(result(), 80)).toBe('ordered=50.0/s (0.63x unordered) violations=0 lost=0 dup=0');
    const check = { expected: 5000, delivered: 4990, lost: 10, duplicates: 2, violations: 3, lanesWithViolations: 1, examples: [] };
    expect(orderedSummary(result({ check, ratePerSecond: 41.25 }), 75)).toBe('ordered=41.3/s (0.55x unordered) violations=3 lost=10 dup=2');
  });

  it('says n/a when the unordered rate is unknown, and when the phase failed', () => {
    expect(orderedSummary(result(), 0)).toBe('ordered=50.0/s (n/a unordered) violations=0 lost=0 dup=0');
    expect(orderedSummary(result({ error: 'no probe' }), 80)).toBe('ordered=n/a (failed)');
  });
});
