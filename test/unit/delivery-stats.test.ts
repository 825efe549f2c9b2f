import { fillBuckets, statsRange } from '../../src/deliveries/delivery-stats';

describe('delivery stats windows', () => {
  it('ends the 24h window at the end of the hour holding now: 24 hourly buckets on whole UTC hours', () => {
    const range = statsRange('24h', new Date('2026-12-06T08:43:10.500Z'));
    expect(range).toEqual({
      from: new Date('2026-12-05T09:00:00.000Z'),
      to: new Date('2026-12-06T09:00:00.000Z'),
      bucketSeconds: 3600,
      buckets: 24,
    });
    // On the hour exactly, now belongs to the bucket it starts.
    expect(statsRange('24h', new Date('2026-12-06T09:00:00.000Z')).to).toEqual(new Date('2026-12-06T10:00:00.000Z'));
  });

  it('ends the 7d window at the end of the 6-hour bucket holding now: 28 buckets starting at 00, 06, 12 or 18 UTC', () => {
    const range = statsRange('7d', new Date('2026-12-06T08:43:10.500Z'));
    expect(range.to).toEqual(new Date('2026-12-06T12:00:00.000Z'));
    expect(range.from).toEqual(new Date('2026-11-29T12:00:00.000Z'));
    expect(range.buckets).toBe(28);
  });

  it('lists every bucket oldest first, zeros included, and totals what it counted', () => {
    const range = statsRange('24h', new Date('2026-12-06T08:43:10.500Z'));
    const { buckets, totals } = fillBuckets(range, [
      { bucket: 0, status: 'SUCCESS', count: 4 },
      { bucket: 23, status: 'FAILURE', count: 2 },
      { bucket: 23, status: 'SUCCESS', count: 1 },
      { bucket: 24, status: 'SUCCESS', count: 99 }, // outside the range: left out
      { bucket: 3, status: 'UNKNOWN', count: 5 }, // not a status: left out
    ]);
    expect(buckets).toHaveLength(24);
    expect(buckets[0]).toEqual({ start: '2026-12-05T09:00:00.000Z', counts: { SUCCESS: 4, FAILURE: 0, PENDING: 0 } });
    expect(buckets[23]).toEqual({ start: '2026-12-06T08:00:00.000Z', counts: { SUCCESS: 1, FAILURE: 2, PENDING: 0 } });
    expect(buckets[3].counts).toEqual({ SUCCESS: 0, FAILURE: 0, PENDING: 0 });
    expect(totals).toEqual({ SUCCESS: 5, FAILURE: 2, PENDING: 0 });
  });
});
