/**
 * retentionWorkflow: retires what WEBHOOKS_RETENTION_DAYS has passed, started by the worker's retention Schedule.
 * Deterministic: the cutoff is the workflow's own clock (recorded time) minus the window, the same for every step of
 * a run. First the day partitions (one activity: the days ahead created, every expired day without a PENDING delivery
 * or an undispatched event dropped), then the rows outside day partitions and the rejected messages in batches, one
 * deleteExpiredRows activity each: deliveries whose event was never stored (with their attempts), then rejected
 * messages; a PENDING delivery is never touched.
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
/** With day partitions every event is in a day: rows outside them are deliveries (and their attempts) only. */
const TARGETS_BESIDE_DAYS: readonly RetentionTarget[] = ['deliveries', 'rejectedMessages'];

interface RetentionActivities {
  maintainDayPartitions(input: DayPartitionsInput): Promise<DayPartitionsResult>;
  deleteExpiredRows(input: DeleteExpiredInput): Promise<DeleteExpiredResult>;
}

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult> {
  const before = new Date(Date.now() - input.retentionDays * DAY_MS).toISOString();
  const totals = { deliveries: 0, attempts: 0, events: 0, rejectedMessages: 0 };
  let more = false;
  let partitions: DayPartitionsResult | undefined;
  let targets = TARGETS;
  // Runs recorded before the day partitions replay without this step.
  if (patched('day-partitions')) {
    targets = TARGETS_BESIDE_DAYS;
    const { maintainDayPartitions } = proxyActivities<RetentionActivities>({
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
      summary: `day partitions: create ahead, retire the days ended before ${before}`,
    });
    partitions = await maintainDayPartitions({ before, now: new Date(Date.now()).toISOString() });
  }
  for (const target of targets) {
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
