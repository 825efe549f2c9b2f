/**
 * Upkeep of the stream and the group: the gauges (lag, pending, length) are refreshed, acknowledged history is trimmed
 * (`XTRIM MINID ~` below the oldest entry that any group of the stream has not acknowledged, or `MAXLEN ~`), and
 * consumers of dead processes with nothing pending are removed.
 */
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { RedisClient } from '../../redis/clients';
import { compareIds, nextId, parseInfoGroups, parseInfoRows } from './replies';
import type { StreamState } from './state';

/** A consumer of the group idle this long with nothing pending belongs to a process that is gone. */
const DEAD_CONSUMER_MIN_IDLE_MS = 10 * 60_000;
const DEAD_CONSUMER_CHECK_EVERY_MS = 60_000;

export interface MaintenanceSettings {
  readonly claimIdleMs: number;
  readonly trim: NonNullable<Config['redisStream']>['trim'];
}

export class StreamMaintenance {
  private lastDeadConsumerCheck = 0;

  constructor(
    private readonly commands: RedisClient,
    private readonly state: StreamState,
    private readonly settings: MaintenanceSettings,
    private readonly logger: Logger,
  ) {}

  async refreshAndTrim(): Promise<void> {
    const { commands, state } = this;
    const { stream: key, group } = state.context;
    const groups = parseInfoGroups(await commands.call('XINFO', 'GROUPS', key));
    const ours = groups.find((g) => g.name === group);
    const gauges = state.gauges;
    gauges.lag = ours?.lag ?? null;
    gauges.pending = ours?.pending ?? null;
    gauges.length = Number(await commands.call('XLEN', key));
    gauges.refreshedAt = new Date().toISOString();

    const trim = this.settings.trim;
    if (trim.strategy === 'none' || gauges.length === 0) return;
    let removed: number;
    if (trim.strategy === 'maxlen') {
      removed = Number(await commands.call('XTRIM', key, 'MAXLEN', '~', trim.maxLen));
    } else {
      // Below the oldest entry that some group has not acknowledged: its oldest pending entry, or else the first
      // entry after the last one it read. Read after XINFO, so entries delivered meanwhile are above either bound.
      let minId: string | null = null;
      for (const g of groups) {
        let bound = nextId(g.lastDeliveredId);
        if (g.pending > 0) {
          const summary = (await commands.call('XPENDING', key, g.name)) as [number, string | null, string | null, unknown];
          if (summary[1]) bound = summary[1];
        }
        if (minId === null || compareIds(bound, minId) < 0) minId = bound;
      }
      if (minId === null) return;
      removed = Number(await commands.call('XTRIM', key, 'MINID', '~', minId));
    }
    state.counts.trimmed += removed;
    if (removed > 0) this.logger.debug({ ...state.context, removed }, 'trimmed acknowledged stream history');
  }

  async removeDeadConsumers(): Promise<void> {
    if (Date.now() - this.lastDeadConsumerCheck < DEAD_CONSUMER_CHECK_EVERY_MS) return;
    this.lastDeadConsumerCheck = Date.now();
    const { context } = this.state;
    const consumers = parseInfoRows(await this.commands.call('XINFO', 'CONSUMERS', context.stream, context.group));
    const minIdle = Math.max(DEAD_CONSUMER_MIN_IDLE_MS, this.settings.claimIdleMs * 4);
    for (const row of consumers) {
      if (row.name === context.consumer || Number(row.pending) !== 0 || Number(row.idle) < minIdle) continue;
      await this.commands.call('XGROUP', 'DELCONSUMER', context.stream, context.group, String(row.name));
      this.logger.info({ ...context, removed: row.name, idleMs: Number(row.idle) }, 'removed a consumer of a listener that is gone');
    }
  }
}
