/**
 * The retention Schedule: Temporal starts retentionWorkflow every hour on the engine's task queue (visible in the
 * Temporal UI under Schedules). Every worker registers it at start-up, idempotently: the first creates it, later
 * ones (or a restart with a new WEBHOOKS_RETENTION_DAYS) update it in place, so there is always exactly one.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { backoffDelay } from '../shared/backoff';
import { errorSummary } from '../shared/error-summary';
import type { retentionWorkflow } from '../../workflows/retention.workflow';
import type { RetentionInput } from '../../workflows/retention.types';

export const RETENTION_WORKFLOW_TYPE = 'retentionWorkflow';
export const RETENTION_INTERVAL = '1 hour';

/** One schedule per deployment, named after its task queue (the unit the workers of one engine share). */
export function retentionScheduleId(taskQueue: string): string {
  return `webhooks-retention:${taskQueue}`;
}

export function retentionInput(config: Pick<Config, 'retention'>): RetentionInput {
  return { retentionDays: config.retention.days, batchSize: config.retention.batchSize };
}

function scheduleParts(config: Pick<Config, 'retention' | 'temporal'>) {
  const input = retentionInput(config);
  const action: ScheduleOptionsStartWorkflowAction<typeof retentionWorkflow> = {
    type: 'startWorkflow',
    workflowType: RETENTION_WORKFLOW_TYPE,
    workflowId: `${retentionScheduleId(config.temporal.taskQueue)}:run`,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowRunTimeout: '1 hour',
    staticSummary: `retention: retire events, deliveries and attempts older than ${input.retentionDays} days (never PENDING)`,
  };
  return {
    spec: { intervals: [{ every: RETENTION_INTERVAL }] },
    action,
    // A run still going when the next is due: skip that one. Missed runs while Temporal was down: only the latest.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: RETENTION_INTERVAL, pauseOnFailure: false },
  };
}

export type EnsureOutcome = 'created' | 'updated';

/** Creates the schedule, or updates the existing one to this config (never a second schedule). */
export async function ensureRetentionSchedule(client: Client, config: Pick<Config, 'retention' | 'temporal'>): Promise<EnsureOutcome> {
  const scheduleId = retentionScheduleId(config.temporal.taskQueue);
  const parts = scheduleParts(config);
  try {
    await client.schedule.create({
      scheduleId,
      ...parts,
      state: { note: 'Registered by the webhooks-engine worker (WEBHOOKS_RETENTION_DAYS).' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...parts,
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
  return 'updated';
}

/**
 * The worker's start-up registration: retried with backoff in the background while Temporal refuses (the worker
 * itself keeps delivering meanwhile). Resolves when registered or stopped.
 */
export function registerRetentionSchedule(options: {
  client: Client;
  config: Pick<Config, 'retention' | 'temporal'>;
  logger: Logger;
  retryMaxDelayMs?: number;
}): { done: Promise<void>; stop(): void } {
  let stopped = false;
  let wake: () => void = () => undefined;
  // Resolves on stop(), so that a registration call hanging on an unreachable Temporal does not hold the stop.
  const stopSignal = new Promise<'stopped'>((resolve) => {
    wake = () => resolve('stopped');
  });
  const backoff = { initialMs: 1_000, maxMs: options.retryMaxDelayMs ?? 60_000 };
  const done = (async () => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        const registering = ensureRetentionSchedule(options.client, options.config);
        registering.catch(() => undefined); // abandoned on stop: its failure is of no interest then
        const outcome = await Promise.race([registering, stopSignal]);
        if (outcome === 'stopped') return;
        options.logger.info(
          { scheduleId: retentionScheduleId(options.config.temporal.taskQueue), outcome, retentionDays: options.config.retention.days },
          'retention schedule registered',
        );
        return;
      } catch (error) {
        const delay = backoffDelay(backoff, attempt);
        options.logger.warn({ err: errorSummary(error), attempt, retryInMs: delay }, 'registering the retention schedule failed; retrying');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, delay))), stopSignal]);
        clearTimeout(timer);
      }
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      wake();
    },
  };
}
