/** deleteExpiredRows: one batch of the retention workflow (see src/retention/retention.repository.ts for what is kept). */
import { createRetentionRepository } from '../src/retention/retention.repository';
import type { DeleteExpiredInput, DeleteExpiredResult } from '../workflows/retention.types';
import type { ActivityDeps } from './activity-deps';

export function createRetentionActivities(deps: Pick<ActivityDeps, 'dataSource' | 'logger'>) {
  const retention = createRetentionRepository(deps.dataSource);
  return {
    async deleteExpiredRows(input: DeleteExpiredInput): Promise<DeleteExpiredResult> {
      const result = await retention.deleteBatch(input.target, new Date(input.before), input.limit);
      if (result.deleted > 0) deps.logger.info({ ...input, ...result }, 'retention deleted expired rows');
      return result;
    },
  };
}
