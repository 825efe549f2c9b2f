import { dayOf, dayOfPartition, expiredDays } from '../../src/retention/partitions';

describe('day partitions: days and names', () => {
  it.each([
    ['2026-12-06T00:00:00.000Z', '2026-12-06'],
    ['2026-12-06T23:59:59.999Z', '2026-12-06'],
    ['2026-12-07T00:00:00.000Z', '2026-12-07'],
    ['2024-02-29T12:00:00.000Z', '2024-02-29'],
  ])('the UTC day of %s is %s', (instant, day) => {
    expect(dayOf(new Date(instant))).toBe(day);
  });

  it.each([
    ['webhook_deliveries_p20261206', '2026-12-06'],
    ['webhook_events_p20240229', '2024-02-29'],
    ['webhook_deliveries_default', null],
    ['webhook_deliveries_p2026120', null],
    ['webhook_deliveries_p20261206_old', null],
  ])('the partition %s is of day %s', (name, day) => {
    expect(dayOfPartition(name)).toBe(day);
  });

  it.each([
    // A day is expired once its whole range is before the cutoff.
    ['2026-12-06T00:00:00.000Z', ['2026-12-04', '2026-12-05', '2026-12-06'], ['2026-12-04', '2026-12-05']],
    ['2026-12-05T23:59:59.999Z', ['2026-12-04', '2026-12-05', '2026-12-06'], ['2026-12-04']],
    ['2026-12-01T00:00:00.000Z', ['2026-12-04', '2026-12-05'], []],
    ['2026-12-06T12:00:00.000Z', ['2026-12-05', '2026-11-30', '2026-12-01'], ['2026-11-30', '2026-12-01', '2026-12-05']],
  ])('before %s, of %j the expired days are %j (oldest first)', (before, days, expired) => {
    expect(expiredDays(days, new Date(before))).toEqual(expired);
  });
});
