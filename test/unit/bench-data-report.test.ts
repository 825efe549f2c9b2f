import {
  countIn,
  DATA_HEADING,
  DATA_MARKERS,
  insertDrop,
  longestGap,
  median,
  placeDataSection,
  planDigest,
  planText,
  renderDataSection,
  retirementWindow,
  slowestRead,
  summaryLine,
  windowRate,
  type Checkpoint,
  type InsertPathResult,
} from '../../bench/data-report';

const read = (name: string, medianMs: number) => ({ name, describe: `${name} call`, medianMs, rows: 50 });
const sizes = (factor: number) => [
  { table: 'webhook_events', rows: 100 * factor, bytes: 2_097_152 * factor, indexBytes: 1_048_576 * factor },
  { table: 'webhook_deliveries', rows: 100 * factor, bytes: 1_048_576 * factor, indexBytes: 524_288 * factor },
  { table: 'webhook_delivery_attempts', rows: 120 * factor, bytes: 524_288 * factor, indexBytes: 262_144 * factor },
];
const small: Checkpoint = {
  deliveries: 500_000,
  fillMs: 10_000,
  vacuumMs: 2_000,
  sizes: sizes(1),
  reads: [read('first page', 2), read('recover', 4), read('deep page', 3)],
};
const large: Checkpoint = {
  deliveries: 5_000_000,
  fillMs: 100_000,
  vacuumMs: 20_000,
  sizes: sizes(10),
  reads: [read('first page', 2.5), read('recover', 30.04), read('deep page', 3)],
};
const insert: InsertPathResult = {
  writers: 4,
  baseline: { fromMs: 1_000, toMs: 11_000, completed: 4_000 },
  around: { fromMs: 15_000, toMs: 17_000, completed: 600 },
  longestGapMs: { baseline: 12, around: 510 },
  retirement: { day: '2026-11-07', ms: 41.6, outcome: 'retired', gone: true, deadlocks: 0 },
  errors: {},
};

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('leaves its input as it was', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('the insert windows', () => {
  it('centres 2 s on a short retirement and widens to a long one', () => {
    expect(retirementWindow(10_000, 10_040)).toEqual({ fromMs: 9_020, toMs: 11_020 });
    expect(retirementWindow(10_000, 13_000)).toEqual({ fromMs: 10_000, toMs: 13_000 });
  });

  it('counts completions in [from, to)', () => {
    expect(countIn([1, 2, 3, 4, 5], 2, 4)).toBe(2);
    expect(countIn([], 0, 10)).toBe(0);
  });

  it('finds the longest stretch without a completion, the edges included', () => {
    expect(longestGap([12, 10, 14, 30], 10, 32)).toBe(16);
    expect(longestGap([5], 0, 100)).toBe(95);
    expect(longestGap([], 0, 100)).toBe(100);
  });

  it('gives the rate per second and the drop against the baseline', () => {
    expect(windowRate(insert.baseline)).toBe(400);
    expect(windowRate(insert.around)).toBe(300);
    expect(insertDrop(insert)).toBeCloseTo(0.25);
    expect(insertDrop({ ...insert, around: { fromMs: 0, toMs: 2_000, completed: 1_000 } })).toBe(0);
    expect(insertDrop({ ...insert, baseline: { fromMs: 0, toMs: 1_000, completed: 0 } })).toBeNaN();
  });
});

describe('the summary', () => {
  it('takes the slowest read at N and its growth from N/10', () => {
    expect(slowestRead(small, large)).toEqual({ name: 'recover', ms: 30.04, growth: 30.04 / 4 });
  });

  it('prints the line in its fixed format', () => {
    expect(summaryLine(small, large, insert)).toBe(
      'bench-data: deliveries=5000000 read_max_ms=30.0 read_growth=7.51 retention_day_ms=42 insert_drop=0.25',
    );
  });

  it('prints NaN for what was not measured rather than a made-up figure', () => {
    const none = { ...insert, retirement: { ...insert.retirement, ms: Number.NaN } };
    expect(summaryLine({ ...small, reads: [] }, large, none)).toBe(
      'bench-data: deliveries=5000000 read_max_ms=30.0 read_growth=NaN retention_day_ms=NaN insert_drop=0.25',
    );
  });
});

describe('the docs section', () => {
  const info = {
    startedAt: '2026-12-06T10:00:00.000Z',
    durationMs: 300_000,
    days: 30,
    subscriptions: 100,
    reps: 30,
    machine: 'Machine: test.',
  };
  const body = renderDataSection(info, small, large, insert);

  it('holds the sizes, each read at both volumes, the insert rates, the retirement and the summary line', () => {
    expect(body).toContain('| webhook_deliveries | 100 | 1 MB (1 MB indexes) | 1,000 | 10 MB (5 MB indexes) |');
    expect(body).toContain('| recover | recover call | 4.0 (50) | 30.0 (50) | 7.51x |');
    expect(body).toContain('| baseline | 10.0 s | 4,000 | 400.0 | 12.0 ms |');
    expect(body).toContain('| around the retirement (median drop) | 2.0 s | 600 | 300.0 | 510.0 ms |');
    expect(body).toContain('in 42 ms, retired, partitions gone');
    expect(body).toContain('500,000 first (10.0 s, 50,000 deliveries/s');
    expect(body).toContain('then the rest (100.0 s, 45,000 deliveries/s');
    expect(body.trimEnd().split('\n').slice(-2)[0]).toBe(summaryLine(small, large, insert));
    expect(body).not.toContain('Plans of the reads');
  });

  it('says when the day was not retired and what the loops lost', () => {
    const busy = renderDataSection(info, small, large, {
      ...insert,
      retirement: { ...insert.retirement, outcome: 'busy', gone: false, deadlocks: 1 },
      errors: { '40P01': 2 },
    });
    expect(busy).toContain('busy, partitions STILL PRESENT');
    expect(busy).toContain('deadlocks detected 1; failed deliveries of the loops 2 (40P01)');
  });

  it('includes the plans of slow reads when there are some', () => {
    expect(renderDataSection({ ...info, slowReadPlans: '-- recover\nSort' }, small, large, insert)).toContain(
      'Plans of the reads above 20 ms at full volume:\n\n```\n-- recover\nSort\n```',
    );
  });

  it('replaces only what is between its markers', () => {
    const doc = `# Benchmarks\n\nintro\n\n${DATA_HEADING}\n\nhand text\n\n${DATA_MARKERS.start}\nold figures\n${DATA_MARKERS.end}\n\ntail\n`;
    const out = placeDataSection(doc, 'new figures');
    expect(out).toBe(
      `# Benchmarks\n\nintro\n\n${DATA_HEADING}\n\nhand text\n\n${DATA_MARKERS.start}\nnew figures\n${DATA_MARKERS.end}\n\ntail\n`,
    );
  });

  it('appends the heading and the markers when they are missing', () => {
    const out = placeDataSection('# Benchmarks\n\nintro\n', 'figures');
    expect(out).toBe(`# Benchmarks\n\nintro\n\n${DATA_HEADING}\n\n${DATA_MARKERS.start}\nfigures\n${DATA_MARKERS.end}\n`);
    expect(placeDataSection(out, 'again')).toBe(out.replace('figures', 'again'));
  });

  it('uses the markers the brief names', () => {
    expect(DATA_MARKERS.start).toBe('<!-- bench-data:results:start (generated by `npm run bench:data`; edit outside these markers) -->');
    expect(DATA_MARKERS.end).toBe('<!-- bench-data:results:end -->');
    expect(DATA_HEADING).toBe('## The delivery log at volume (npm run bench:data)');
  });
});

describe('the plans', () => {
  const plan = [
    'Limit',
    '  ->  Sort',
    ...Array.from({ length: 20 }, (_, i) => `        ->  Index Scan on p${i}`),
    'Planning Time: 2.5 ms',
    'Execution Time: 40.1 ms',
  ];
  const read = { name: 'recover', describe: 'listFailedInWindow', statements: [{ sql: `SELECT ${'x, '.repeat(100)}y FROM d`, plan }] };

  it('prints every line on stdout', () => {
    const text = planText(read);
    expect(text.split('\n')).toHaveLength(1 + 1 + plan.length + 1);
    expect(text).toContain('Index Scan on p19');
  });

  it('keeps the top of each plan and its timings for the docs', () => {
    const digest = planDigest(read).split('\n');
    expect(digest[0]).toBe('-- recover: listFailedInWindow');
    expect(digest[1]).toMatch(/^SELECT x, .* \.\.\.$/);
    expect(digest).toContain('        ->  Index Scan on p9');
    expect(digest).not.toContain('        ->  Index Scan on p10');
    expect(digest).toContain('  ... (12 more lines)');
    expect(digest.slice(-2)).toEqual(['Planning Time: 2.5 ms', 'Execution Time: 40.1 ms']);
  });
});
