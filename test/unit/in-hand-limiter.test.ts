import { createInHandLimiter } from '../../src/events/in-hand-limiter';

describe('in-hand limiter', () => {
  it('hands out at most its limit, partially when asked for more than is left, and records the peak', () => {
    const limiter = createInHandLimiter(5);
    expect(limiter.tryAcquire(3)).toBe(3);
    expect(limiter.tryAcquire(3)).toBe(2);
    expect(limiter.tryAcquire()).toBe(0);
    expect(limiter.inUse()).toBe(5);
    limiter.release(4);
    expect(limiter.inUse()).toBe(1);
    expect(limiter.peak()).toBe(5);
  });

  it('wakes room waiters and release listeners on release', async () => {
    const limiter = createInHandLimiter(1);
    limiter.tryAcquire();
    const released: number[] = [];
    const stop = limiter.onRelease(() => released.push(limiter.inUse()));
    let woke = false;
    const waiting = limiter.whenRoom().then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    limiter.release();
    await waiting;
    expect(woke).toBe(true);
    expect(released).toEqual([0]);
    stop();
    limiter.tryAcquire();
    limiter.release();
    expect(released).toEqual([0]);
    await expect(limiter.whenRoom()).resolves.toBeUndefined();
  });

  it('refuses a release of slots that were not taken and a limit below 1', () => {
    const limiter = createInHandLimiter(2);
    limiter.tryAcquire();
    expect(() => limiter.release(2)).toThrow(RangeError);
    expect(() => createInHandLimiter(0)).toThrow(RangeError);
    expect(() => createInHandLimiter(1.5)).toThrow(RangeError);
  });
});
