import { createFixedWindowLimiter } from '../../src/api/rate-limit.middleware';

describe('the fixed-window rate limiter', () => {
  const minute = (n: number) => n * 60_000;

  it('allows the limit within a window, then refuses with the seconds left in the window', () => {
    let now = minute(100) + 20_500;
    const limiter = createFixedWindowLimiter(3, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').remaining)).toEqual([2, 1, 0]);
    expect(limiter.take('k')).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 40 });
    now = minute(100) + 59_900;
    expect(limiter.take('k')).toMatchObject({ allowed: false, resetSeconds: 1 });
    now = minute(101);
    expect(limiter.take('k')).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 60 });
  });

  it('counts each key separately', () => {
    const limiter = createFixedWindowLimiter(1, () => minute(5));
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('does not count refused requests against the next window', () => {
    let now = minute(7);
    const limiter = createFixedWindowLimiter(2, () => now);
    for (let i = 0; i < 10; i++) limiter.take('k');
    now = minute(8);
    expect(limiter.take('k').remaining).toBe(1);
  });
});
