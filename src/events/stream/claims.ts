/**
 * Claiming: entries in hand are touched (`XCLAIM ... JUSTID`, which leaves the delivery count alone) so that only
 * entries of a listener that died go idle; `XAUTOCLAIM` takes entries idle longer than `claimIdleMs`. A claimed entry
 * already delivered more than `maxDeliveries` times (its XPENDING delivery count) is kept in rejected_messages and
 * acknowledged instead of being tried again.
 */
import type { Logger } from '../../logger';
import type { RedisClient } from '../../redis/clients';
import type { InHandLimiter } from '../in-hand-limiter';
import type { EntryHandoff } from './handoff';
import type { StreamEntry } from './replies';
import { ACK_BATCH, type StreamState } from './state';

export interface ClaimSettings {
  readonly batchSize: number;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
}

export class Claims {
  /** XAUTOCLAIM's cursor through the group's pending list. */
  private cursor = '0-0';
  private readonly touchAfterMs: number;

  constructor(
    private readonly commands: RedisClient,
    private readonly state: StreamState,
    private readonly settings: ClaimSettings,
    private readonly limiter: InHandLimiter,
    private readonly handoff: EntryHandoff,
    private readonly logger: Logger,
  ) {
    this.touchAfterMs = Math.floor(settings.claimIdleMs / 3);
  }

  /** A re-created group has a pending list of its own. */
  restart(): void {
    this.cursor = '0-0';
  }

  /** Resets the idle time of entries still in hand, so that no other listener claims them while this one works. */
  async touchInHand(): Promise<void> {
    const { context, inHand } = this.state;
    const now = Date.now();
    const due = [...inHand].filter(([, entry]) => now - entry.touchedAt >= this.touchAfterMs).map(([id]) => id);
    for (let i = 0; i < due.length; i += ACK_BATCH) {
      const ids = due.slice(i, i + ACK_BATCH);
      await this.commands.call('XCLAIM', context.stream, context.group, context.consumer, 0, ...ids, 'JUSTID');
      ids.forEach((id) => {
        const entry = inHand.get(id);
        if (entry) entry.touchedAt = now;
      });
    }
  }

  async claimIdle(): Promise<void> {
    const { state, settings, limiter } = this;
    const { stream: key, group, consumer } = state.context;
    const room = limiter.tryAcquire(settings.batchSize);
    if (room === 0) return;
    let claimed: StreamEntry[];
    let deleted: string[];
    state.reserved += room;
    try {
      const reply = (await this.commands.call('XAUTOCLAIM', key, group, consumer, settings.claimIdleMs, this.cursor, 'COUNT', room)) as [
        string,
        StreamEntry[],
        string[]?,
      ];
      this.cursor = reply[0];
      claimed = reply[1] ?? [];
      deleted = reply[2] ?? [];
    } catch (error) {
      limiter.release(room);
      throw error;
    } finally {
      state.reserved -= room;
    }
    if (claimed.length < room) limiter.release(room - claimed.length);
    if (deleted.length > 0) {
      state.counts.deletedWhilePending += deleted.length;
      this.logger.error(
        { ...state.context, entries: deleted.length, firstEntryId: deleted[0] },
        'pending stream entries were deleted before they were stored (trimmed or XDEL): their events are lost',
      );
    }
    if (claimed.length === 0) return;
    state.counts.claimed += claimed.length;

    const deliveries = await this.deliveryCounts(claimed);
    this.logger.info(
      { ...state.context, entries: claimed.length, firstEntryId: claimed[0][0] },
      'claimed stream entries left pending by another consumer',
    );

    for (const [id, fields] of claimed) {
      if (state.inHand.has(id)) {
        limiter.release();
        continue;
      }
      const times = deliveries.get(id) ?? 0;
      if (fields !== null && times > settings.maxDeliveries) this.handoff.rejectOverDelivered(id, fields, times, settings.maxDeliveries);
      else this.handoff.take(id, fields);
    }
  }

  /** How many times each claimed entry has been delivered (XPENDING's count, which the claim itself raised). */
  private async deliveryCounts(claimed: readonly StreamEntry[]): Promise<Map<string, number>> {
    const { stream: key, group, consumer } = this.state.context;
    const pipeline = this.commands.pipeline();
    claimed.forEach(([id]) => pipeline.call('XPENDING', key, group, id, id, 1, consumer));
    const answers = (await pipeline.exec()) ?? [];
    const deliveries = new Map<string, number>();
    answers.forEach(([error, rows]) => {
      const row = !error && Array.isArray(rows) && Array.isArray(rows[0]) ? (rows[0] as [string, string, number, number]) : null;
      if (row) deliveries.set(String(row[0]), Number(row[3]));
    });
    return deliveries;
  }
}
