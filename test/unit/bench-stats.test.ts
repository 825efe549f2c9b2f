import {
  cpuPerThousand,
  cpuTicksBetween,
  formatRatio,
  isSustained,
  parseProcStat,
  parseStatusKb,
  percentile,
  rampRates,
  rampStart,
  refineRate,
  summarizeLatencies,
  summarizeStep,
  sustainedRate,
  type EventReceipt,
} from '../../bench/stats';

describe('percentile', () => {
  it('uses the nearest rank of ascending values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
  });

  it('returns the only value of a one-element list for every percentile', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarizeLatencies', () => {
  it('sorts before ranking, so input order does not matter', () => {
    expect(summarizeLatencies([30, 10, 20])).toEqual({ count: 3, p50: 20, p95: 30, p99: 30, max: 30 });
  });
});

/** Events due every `intervalMs` from t=0, each received `latency(i)` ms after it was due. */
function steadyReceipts(count: number, intervalMs: number, latency: (i: number) => number | null): EventReceipt[] {
  return Array.from({ length: count }, (_, i) => {
    const due = i * intervalMs;
    const l = latency(i);
    return { scheduledAt: due, receivedAt: l === null ? [] : [due + l] };
  });
}

describe('summarizeStep', () => {
  it('measures latency from the scheduled time and the offered and achieved rates', () => {
    const receipts = steadyReceipts(100, 20, () => 5);
    const out = summarizeStep(receipts, 100 * 20);
    expect(out.published).toBe(100);
    expect(out.delivered).toBe(100);
    expect(out.latency.p99).toBe(5);
    expect(out.offeredRate).toBeCloseTo(50, 5);
    expect(out.achievedRate).toBeCloseTo((100 / (99 * 20 + 5)) * 1000, 5);
    expect(out.backlogAtEnd).toBe(0);
  });

  it('counts an event never received as lost and extra copies as duplicates', () => {
    const receipts: EventReceipt[] = [
      { scheduledAt: 0, receivedAt: [10, 30] },
      { scheduledAt: 10, receivedAt: [] },
      { scheduledAt: 20, receivedAt: [25] },
    ];
    const out = summarizeStep(receipts, 40);
    expect(out.lost).toBe(1);
    expect(out.duplicates).toBe(1);
    expect(out.delivered).toBe(2);
    expect(out.latency.max).toBe(10);
  });

  it('counts events first received after publishing ended as backlog', () => {
    const receipts = steadyReceipts(10, 100, (i) => (i >= 8 ? 2_000 : 5));
    expect(summarizeStep(receipts, 1_000).backlogAtEnd).toBe(2);
  });
});

describe('isSustained', () => {
  it('accepts a step with p99 under a second, nothing lost and little in flight at the end', () => {
    expect(
      isSustained(
        summarizeStep(
          steadyReceipts(500, 10, () => 50),
          5_000,
        ),
      ),
    ).toBe(true);
  });

  it('rejects a step whose p99 reaches a second', () => {
    expect(
      isSustained(
        summarizeStep(
          steadyReceipts(500, 10, (i) => (i % 50 === 0 ? 1_000 : 50)),
          5_000,
        ),
      ),
    ).toBe(false);
  });

  it('rejects a step that lost or duplicated an event', () => {
    expect(
      isSustained(
        summarizeStep(
          steadyReceipts(500, 10, (i) => (i === 3 ? null : 5)),
          5_000,
        ),
      ),
    ).toBe(false);
    const duplicated = steadyReceipts(500, 10, () => 5);
    duplicated[0] = { scheduledAt: 0, receivedAt: [5, 6] };
    expect(isSustained(summarizeStep(duplicated, 5_000))).toBe(false);
  });

  it('rejects a step that ended with more than a second of events still queued', () => {
    // 100/s offered; the last 150 events (1.5 s worth) arrive after publishing ended, with p99 still low.
    const receipts = steadyReceipts(1_000, 10, () => 5);
    const out = { ...summarizeStep(receipts, 10_000), backlogAtEnd: 150 };
    expect(isSustained(out)).toBe(false);
  });
});

describe('sustainedRate', () => {
  it('is the highest offered rate that was sustained, ignoring failed steps in between', () => {
    const ok = summarizeStep(
      steadyReceipts(100, 10, () => 5),
      1_000,
    );
    const slow = summarizeStep(
      steadyReceipts(100, 10, () => 3_000),
      1_000,
    );
    expect(
      sustainedRate([
        { rate: 10, outcome: ok },
        { rate: 25, outcome: slow },
        { rate: 50, outcome: ok },
        { rate: 100, outcome: slow },
      ]),
    ).toBe(50);
    expect(sustainedRate([{ rate: 10, outcome: slow }])).toBe(0);
  });
});

describe('/proc parsing', () => {
  it('reads utime, stime and the children times even when the command name has spaces and parentheses', () => {
    const line = '4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 89 10 20 0 1 0 100 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'postgres: a (b) c', ppid: 1, utime: 1234, stime: 567, cutime: 89, cstime: 10 });
  });

  it('reads VmHWM and VmRSS in kB and returns undefined when the line is missing', () => {
    const status = 'Name:\tnode\nVmPeak:\t 900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  120000 kB\n';
    expect(parseStatusKb(status, 'VmHWM')).toBe(123456);
    expect(parseStatusKb(status, 'VmRSS')).toBe(120000);
    expect(parseStatusKb('Name:\tkthreadd\n', 'VmHWM')).toBeUndefined();
  });
});

describe('cpuTicksBetween', () => {
  it('sums growth per pid, counting a pid that appeared from zero', () => {
    const before = new Map([
      [1, 100],
      [2, 50],
    ]);
    const after = new Map([
      [1, 130],
      [2, 50],
      [3, 7],
    ]);
    expect(cpuTicksBetween(before, after)).toBe(37);
  });
});

describe('summary numbers', () => {
  it('expresses CPU per 1000 deliveries', () => {
    expect(cpuPerThousand(2.5, 500)).toBe(5);
    expect(cpuPerThousand(1, 0)).toBeNaN();
  });

  it('formats ratios with two decimals and n/a for a zero denominator', () => {
    expect(formatRatio(50, 200)).toBe('0.25');
    expect(formatRatio(50, 0)).toBe('n/a');
    expect(formatRatio(Number.NaN, 3)).toBe('n/a');
  });

  it('starts the ramp one step above the highest sustained fixed rate, or below the lowest when none was', () => {
    const fixed = (sustained: boolean[]) => [10, 25, 50].map((rate, i) => ({ rate, sustained: sustained[i] as boolean }));
    expect(rampStart(fixed([true, true, true]), 1.5)).toBe(75);
    expect(rampStart(fixed([true, false, true]), 1.5)).toBe(75);
    expect(rampStart(fixed([true, false, false]), 1.5)).toBe(15);
    expect(rampStart(fixed([false, false, false]), 2)).toBe(5);
  });

  it('builds a geometric ramp of rounded rates', () => {
    expect(rampRates(75, 1.5, 4)).toEqual([75, 113, 169, 253]);
  });

  it('refines between the highest sustained and the lowest failed rate at their geometric middle, while one lies between', () => {
    expect(refineRate(75, 113)).toBe(92);
    expect(refineRate(92, 113)).toBe(102);
    expect(refineRate(75, 92)).toBe(83);
    expect(refineRate(10, 11)).toBeUndefined();
    expect(refineRate(0, 15)).toBeUndefined();
    expect(refineRate(50, Infinity)).toBeUndefined();
    expect(refineRate(50, 50)).toBeUndefined();
  });
});
