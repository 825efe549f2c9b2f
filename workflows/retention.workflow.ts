/**
 * retentionWorkflow: retires what WEBHOOKS_RETENTION_DAYS has passed, started by the worker's retention Schedule.
 * Deterministic: the cutoff is the workflow's own clock (recorded time) minus the window, the same for every step of
 * a run. First the day partitions (one activity: the days ahead created, every expired day without a PENDING delivery
 * or an undispatched event dropped), then the rows outside day partitions and the rejected messages in batches, one
 * deleteExpiredRows activity each: deliveries first (with their attempts), then events left without deliveries, then
 * rejected messages; PENDING deliveries and their events are never touched.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type {
  DayPartitionsInput,
  DayPartitionsResult,
  DeleteExpiredInput,
  DeleteExpiredResult,
  RetentionInput,
  RetentionResult,
  RetentionTarget,
} from './retention.types';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Batches per target and run: bounds one run's history; what is left is taken by the next run. */
export const MAX_BATCHES_PER_TARGET = 200;
const TARGETS: readonly RetentionTarget[] = ['deliveries', 'events', 'rejectedMessages'];

interface RetentionActivities {
  maintainDayPartitions(input: DayPartitionsInput): Promise<DayPartitionsResult>;
  deleteExpiredRows(input: DeleteExpiredInput): Promise<DeleteExpiredResult>;
}

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult> {
  const before = new Date(Date.now() - input.retentionDays * DAY_MS).toISOString();
  const totals = { deliveries: 0, attempts: 0, events: 0, rejectedMessages: 0 };
  let more = false;
  let partitions: DayPartitionsResult | undefined;
  // Runs recorded before the day partitions replay without this step.
  if (patched('day-partitions')) {
    const { maintainDayPartitions } = proxyActivities<RetentionActivities>({
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
      summary: `day partitions: create ahead, retire the days ended before ${before}`,
    });
    partitions = await maintainDayPartitions({ before, now: new Date(Date.now()).toISOString() });
  }
  for (const target of TARGETS) {
    const { deleteExpiredRows } = proxyActivities<RetentionActivities>({
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
      summary: `delete ${target} older than ${before} (batches of ${input.batchSize})`,
    });
    for (let batch = 1; ; batch += 1) {
      const result = await deleteExpiredRows({ target, before, limit: input.batchSize });
      totals[target] += result.deleted;
      totals.attempts += result.attempts;
      if (result.deleted < input.batchSize) break;
      if (batch >= MAX_BATCHES_PER_TARGET) {
        more = true;
        break;
      }
    }
  }
  return { before, ...totals, more, ...(partitions ? { partitions } : {}) };
}
