import { createPauses } from '../../src/shared/pauses';

describe('pauses', () => {
  it('ends a pause when its time is up', async () => {
    const pauses = createPauses();
    await expect(pauses.pause(1)).resolves.toBeUndefined();
  });

  it('ends every pause in progress at once on endAll, and a later pause still waits its time', async () => {
    jest.useFakeTimers();
    try {
      const pauses = createPauses();
      const ended: number[] = [];
      const long = [pauses.pause(60_000).then(() => ended.push(1)), pauses.pause(120_000).then(() => ended.push(2))];
      pauses.endAll();
      await Promise.all(long);
      expect(ended).toEqual([1, 2]);
      let later = false;
      const next = pauses.pause(1_000).then(() => (later = true));
      await Promise.resolve();
      expect(later).toBe(false);
      jest.advanceTimersByTime(1_000);
      await next;
      expect(later).toBe(true);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
