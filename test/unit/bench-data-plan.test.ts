import { DEFAULT_OPTIONS, parseCount, parseDataOptions, planDays, planSubscriptions, stageRows } from '../../bench/data-plan';

describe('parseCount', () => {
  it('reads plain, grouped and suffixed counts', () => {
    expect(parseCount('300000')).toBe(300_000);
    expect(parseCount('300_000')).toBe(300_000);
    expect(parseCount('5,000,000')).toBe(5_000_000);
    expect(parseCount('300k')).toBe(300_000);
    expect(parseCount('5M')).toBe(5_000_000);
    expect(parseCount('1.5m')).toBe(1_500_000);
    expect(parseCount('1.1k')).toBe(1_100);
  });

  it('is NaN for anything else', () => {
    expect(parseCount('')).toBeNaN();
    expect(parseCount('-5')).toBeNaN();
    expect(parseCount('5x')).toBeNaN();
    expect(parseCount('1e6')).toBeNaN();
    expect(parseCount('0.5')).toBeNaN();
  });
});

describe('parseDataOptions', () => {
  it('defaults to 5,000,000 deliveries over 30 days, writing the docs', () => {
    expect(parseDataOptions([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({ deliveries: 5_000_000, days: 30, subscriptions: 100, docs: true, explain: false });
  });

  it('reads every option', () => {
    expect(
      parseDataOptions([
        '--deliveries=300k',
        '--days=7',
        '--subscriptions=6',
        '--reps=10',
        '--writers=2',
        '--window=4',
        '--explain',
        '--no-docs',
      ]),
    ).toEqual({ deliveries: 300_000, days: 7, subscriptions: 6, reps: 10, writers: 2, windowMs: 4_000, explain: true, docs: false });
  });

  it('refuses unknown options and values out of range', () => {
    expect(() => parseDataOptions(['--deliverys=5'])).toThrow(/unknown option --deliverys=5/);
    expect(() => parseDataOptions(['--quick'])).toThrow(/unknown option/);
    expect(() => parseDataOptions(['--deliveries'])).toThrow(/unknown option/);
    expect(() => parseDataOptions(['--deliveries=10'])).toThrow(/--deliveries must be a whole number from 1000/);
    expect(() => parseDataOptions(['--days=1'])).toThrow(/--days must be a whole number from 2 to 365/);
    expect(() => parseDataOptions(['--subscriptions=2'])).toThrow(/--subscriptions/);
    expect(() => parseDataOptions(['--reps=0.5'])).toThrow(/--reps/);
  });
});

describe('planDays', () => {
  const now = new Date('2026-12-06T06:00:00Z');

  it('ends with today, oldest first, and spreads exactly the deliveries asked for', () => {
    const days = planDays(1_000_000, 30, now);
    expect(days).toHaveLength(30);
    expect(days[0]?.day).toBe('2026-11-07');
    expect(days[29]?.day).toBe('2026-12-06');
    expect(days[0]?.start.toISOString()).toBe('2026-11-07T00:00:00.000Z');
    expect(days.reduce((n, d) => n + d.rows, 0)).toBe(1_000_000);
  });

  it('gives today only the part that has passed, at the same rate as a whole day', () => {
    const days = planDays(1_000_000, 30, now);
    const today = days[29]!;
    const yesterday = days[28]!;
    expect(today.spanMs).toBe(6 * 3_600_000);
    expect(yesterday.spanMs).toBe(86_400_000);
    expect(Math.abs(today.rows * 4 - yesterday.rows)).toBeLessThanOrEqual(4);
  });

  it('numbers the rows of the days one after another', () => {
    const days = planDays(12_345, 5, now);
    for (let i = 1; i < days.length; i += 1) expect(days[i]!.firstSeq).toBe(days[i - 1]!.firstSeq + days[i - 1]!.rows);
    expect(days[0]!.firstSeq).toBe(0);
  });
});

describe('stageRows', () => {
  it('gives stage 1 every tenth position and stage 2 the rest', () => {
    expect(stageRows(100, 1)).toBe(10);
    expect(stageRows(100, 2)).toBe(90);
    // Positions 0, 10, ..., 100: eleven of 101.
    expect(stageRows(101, 1)).toBe(11);
    expect(stageRows(101, 1) + stageRows(101, 2)).toBe(101);
    expect(stageRows(0, 1)).toBe(0);
  });
});

describe('planSubscriptions', () => {
  it('makes the healthy one, the failing one and the others over the accounts', () => {
    let n = 0;
    const subs = planSubscriptions(100, 5, () => `id-${(n += 1)}`);
    expect(subs).toHaveLength(100);
    expect(subs[0]).toMatchObject({ id: 'id-1', role: 'healthy', name: 'healthy', accountId: 'acct_bench_1', failurePerMillion: 500 });
    expect(subs[1]).toMatchObject({ role: 'failing', accountId: 'acct_bench_2', failurePerMillion: 500_000 });
    expect(subs.filter((s) => s.role === 'other')).toHaveLength(98);
    expect(new Set(subs.map((s) => s.accountId)).size).toBe(5);
    expect(new Set(subs.map((s) => s.id)).size).toBe(100);
  });
});
