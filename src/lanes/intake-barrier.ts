/**
 * The intake barrier: a delivery whose event came in stream entry X takes its turn only once every entry before X has
 * been stored, whichever listener of the group read it. Otherwise an earlier event of the same lane, still in the
 * hands of another listener (or of one that died, until its entries are claimed), would be placed after a later one
 * had already been sent.
 *
 * Entries are added in id order and handed out in id order, and a listener acknowledges an entry only after its event
 * is stored with its lane places (src/events/dispatcher.ts), so "every entry before X is stored" is "the group's
 * lowest pending entry is not before X". That only ever becomes true (an entry read later has a larger id than X,
 * which was read before anyone asks about it), so one query answers every ask that began before the query did: the
 * asks of a worker within a few milliseconds share one XPENDING.
 */
import type { Redis } from 'ioredis';
import { positionOfEntryId } from './lane-position';

export interface IntakeBarrier {
  /** True when no entry before `entryId` is still pending in the group (every one is stored or kept as rejected). */
  storedBefore(entryId: string): Promise<boolean>;
}

export interface RedisIntakeBarrierOptions {
  readonly redis: Pick<Redis, 'xpending'>;
  readonly stream: string;
  readonly group: string;
  /** How long asks wait to share one query (default 5 ms). */
  readonly gatherMs?: number;
}

/** True when entry id `a` is not before `b` (ids that are not entry ids compare as "not before": never a wait forever). */
export function notBefore(a: string, b: string): boolean {
  const [pa, pb] = [positionOfEntryId(a), positionOfEntryId(b)];
  if (pa === null || pb === null) return true;
  return BigInt(pa) >= BigInt(pb);
}

export function createRedisIntakeBarrier(options: RedisIntakeBarrierOptions): IntakeBarrier {
  const { redis, stream, group } = options;
  const gatherMs = options.gatherMs ?? 5;

  /** The group's lowest pending entry id, or null when nothing is pending (or there is no stream or group). */
  async function lowestPending(): Promise<string | null> {
    try {
      const pending = (await redis.xpending(stream, group, '-', '+', 1)) as Array<[string, ...unknown[]]>;
      return pending[0]?.[0] ?? null;
    } catch (error) {
      // No stream or no group: nothing is pending in it (a failover that lost the group lost its pending list too).
      if (error instanceof Error && /NOGROUP|no such key/i.test(error.message)) return null;
      throw error;
    }
  }

  // The next query, not started yet: asks that arrive before it starts share it; later ones wait for the one after.
  let next: Promise<string | null> | null = null;
  const queryAfterNow = (): Promise<string | null> => {
    next ??= new Promise<void>((resolve) => setTimeout(resolve, gatherMs)).then(() => {
      next = null;
      return lowestPending();
    });
    return next;
  };

  return {
    async storedBefore(entryId) {
      const lowest = await queryAfterNow();
      return lowest === null || notBefore(lowest, entryId);
    },
  };
}
