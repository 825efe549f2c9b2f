/**
 * The intake barrier: a delivery whose event came in stream entry X takes its turn only once every entry before X has
 * been stored, whichever listener of the group read it. Otherwise an earlier event of the same lane, still in the
 * hands of another listener (or of one that died, until its entries are claimed), would be placed after a later one
 * had already been sent.
 *
 * Entries are added in id order and handed out in id order, and a listener acknowledges an entry only after its event
 * is stored with its lane places (src/events/dispatcher.ts), so "every entry before X is stored" is "no entry before
 * X is still pending in the group": one XPENDING over the range before X.
 */
import type { Redis } from 'ioredis';

export interface IntakeBarrier {
  /** True when no entry before `entryId` is still pending in the group (every one is stored or kept as rejected). */
  storedBefore(entryId: string): Promise<boolean>;
}

export interface RedisIntakeBarrierOptions {
  readonly redis: Pick<Redis, 'xpending'>;
  readonly stream: string;
  readonly group: string;
}

export function createRedisIntakeBarrier(options: RedisIntakeBarrierOptions): IntakeBarrier {
  const { redis, stream, group } = options;
  return {
    async storedBefore(entryId) {
      try {
        const pending = (await redis.xpending(stream, group, '-', `(${entryId}`, 1)) as unknown[];
        return pending.length === 0;
      } catch (error) {
        // No stream or no group: nothing is pending in it (a failover that lost the group lost its pending list too).
        if (error instanceof Error && /NOGROUP|no such key/i.test(error.message)) return true;
        throw error;
      }
    },
  };
}
