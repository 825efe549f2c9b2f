/**
 * Group commit for a write that many callers make at once: a call made while the previous write is in flight waits
 * for it and is then written together with every other call that arrived meanwhile, in one statement. Alone, a call is
 * written at once (no timer, no added latency); under load the statements per call fall with the load.
 *
 * ```ts
 * const markDispatched = coalescedWrite<string>((ids) => dataSource.query('UPDATE ... WHERE id = ANY($1)', [ids]));
 * await markDispatched(eventId); // resolves once the statement that carried it committed; rejects if it failed
 * ```
 */
export function coalescedWrite<K>(write: (keys: K[]) => Promise<unknown>, maxBatch = 500): (key: K) => Promise<void> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  type Waiter = { key: K; resolve: () => void; reject: (error: unknown) => void };
  let waiting: Waiter[] = [];
  let writing = false;

  const drain = async (): Promise<void> => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      try {
        await write(batch.map((w) => w.key));
        batch.forEach((w) => w.resolve());
      } catch (error) {
        batch.forEach((w) => w.reject(error));
      }
    }
    writing = false;
  };

  return (key) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      // Calls made in the same tick join this one; later calls join the next statement.
      if (!writing) {
        writing = true;
        queueMicrotask(() => void drain());
      }
    });
}
