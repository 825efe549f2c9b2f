/**
 * The retention workflow's activities: the day partitions' maintenance (src/retention/partitions.ts) and one batch
 * of the row deletes left to the default partitions and rejected messages (src/retention/retention.repository.ts).
 */
import { DAYS_AHEAD, ensureDayPartitions, retireExpiredDays } from '../src/retention/partitions';
import { createRetentionRepository } from '../src/retention/retention.repository';
import type { DayPartitionsInput, DayPartitionsResult, DeleteExpiredInput, DeleteExpiredResult } from '../workflows/retention.types';
import type { ActivityDeps } from './activity-deps';

export function createRetentionActivities(deps: Pick<ActivityDeps, 'dataSource' | 'logger'>) {
  const retention = createRetentionRepository(deps.dataSource);
  return {
    async maintainDayPartitions(input: DayPartitionsInput): Promise<DayPartitionsResult> {
      // Today and the days ahead exist before anything expired goes: writes never wait on a missing day.
      const created = await ensureDayPartitions(deps.dataSource, new Date(input.now), DAYS_AHEAD + 1);
      const outcome = await retireExpiredDays(deps.dataSource, new Date(input.before));
      const result = { created, ...outcome };
      if (created > 0 || outcome.retired.length > 0) deps.logger.info({ ...input, ...result }, 'retention maintained the day partitions');
      for (const kept of outcome.kept) {
        deps.logger.info({ ...input, ...kept }, 'retention kept an expired day: some of its deliveries are still going on');
      }
      return result;
    },

    async deleteExpiredRows(input: DeleteExpiredInput): Promise<DeleteExpiredResult> {
      const result = await retention.deleteBatch(input.target, new Date(input.before), input.limit);
      if (result.deleted > 0) deps.logger.info({ ...input, ...result }, 'retention deleted expired rows');
      return result;
    },
  };
}
