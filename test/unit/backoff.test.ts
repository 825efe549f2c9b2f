import { backoffDelay } from '../../src/shared/backoff';

describe('backoffDelay', () => {
  it.each([
    [{ initialMs: 500, maxMs: 30_000 }, 1, 500],
    [{ initialMs: 500, maxMs: 30_000 }, 2, 1_000],
    [{ initialMs: 500, maxMs: 30_000 }, 7, 30_000],
    [{ initialMs: 100, maxMs: 2_000, factor: 3 }, 3, 900],
    [{ initialMs: 500, maxMs: 30_000 }, 0, 500],
    [{ initialMs: 500, maxMs: 30_000 }, 10_000, 30_000],
  ])('%o, attempt %i -> %i ms', (backoff, attempt, expected) => {
    expect(backoffDelay(backoff, attempt)).toBe(expected);
  });
});
