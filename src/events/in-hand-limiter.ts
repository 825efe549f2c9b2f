/**
 * The listener's bound on messages in hand (backpressure), shared by both ways in. A message is "in hand" from the
 * moment it is taken from Redis until the intake is done with it (stored, or kept as a rejection). The stream reader
 * reserves room before it reads and reads only that many entries; the Pub/Sub subscriber takes one slot per message
 * and pauses its socket when there is none. Pure: no I/O.
 */
export interface InHandLimiter {
  readonly limit: number;
  /** Slots taken now. */
  inUse(): number;
  /** Highest `inUse()` seen since start. */
  peak(): number;
  /** Takes up to `wanted` slots at once (0 when full) and returns how many it took. */
  tryAcquire(wanted?: number): number;
  release(count?: number): void;
  /** Resolves when at least one slot is free (at once if one is). */
  whenRoom(): Promise<void>;
  /** Called after every release (the Pub/Sub subscriber resumes its socket from here). */
  onRelease(listener: () => void): () => void;
}

export function createInHandLimiter(limit: number): InHandLimiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`in-hand limit must be a positive integer, got ${limit}`);
  let used = 0;
  let highest = 0;
  let roomWaiters: Array<() => void> = [];
  const releaseListeners = new Set<() => void>();

  return {
    limit,
    inUse: () => used,
    peak: () => highest,
    tryAcquire(wanted = 1) {
      const taken = Math.max(0, Math.min(wanted, limit - used));
      used += taken;
      if (used > highest) highest = used;
      return taken;
    },
    release(count = 1) {
      if (count <= 0) return;
      if (count > used) throw new RangeError(`released ${count} in-hand slot(s) but only ${used} are taken`);
      used -= count;
      const waiting = roomWaiters;
      roomWaiters = [];
      waiting.forEach((notify) => notify());
      releaseListeners.forEach((listener) => listener());
    },
    whenRoom() {
      if (used < limit) return Promise.resolve();
      return new Promise<void>((resolve) => roomWaiters.push(resolve));
    },
    onRelease(listener) {
      releaseListeners.add(listener);
      return () => releaseListeners.delete(listener);
    },
  };
}
