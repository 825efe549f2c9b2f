/**
 * Timed pauses that a stop can end at once: a retry loop waits on `pause(ms)`, and `endAll()` resolves every pause
 * in progress so that stopping never waits out a backoff.
 */
export interface Pauses {
  pause(ms: number): Promise<void>;
  endAll(): void;
}

export function createPauses(): Pauses {
  const ends = new Set<() => void>();
  return {
    pause: (ms) =>
      new Promise<void>((resolve) => {
        const end = () => {
          clearTimeout(timer);
          ends.delete(end);
          resolve();
        };
        const timer = setTimeout(end, ms);
        ends.add(end);
      }),
    endAll: () => ends.forEach((end) => end()),
  };
}
