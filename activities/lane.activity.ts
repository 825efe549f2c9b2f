/**
 * The lane steps of a delivery in a lane (see src/lanes): joinLane before its first attempt, passLane once it ended.
 * Both run as local activities: a few milliseconds of Postgres (and, for a stream event, one XPENDING), inside the
 * workflow task.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { IntakeBarrier } from '../src/lanes/intake-barrier';
import { createLaneRepository } from '../src/lanes/lane.repository';
import { errorSummary } from '../src/shared/error-summary';
import type { JoinLaneInput, LaneTurn, PassLaneInput } from '../workflows/deliver-webhook.types';
import type { ActivityDeps } from './activity-deps';

/**
 * How long joinLane itself waits for the intake before answering `intake` (the workflow then waits on a timer):
 * entries before this one are usually being stored by a listener right now, a few milliseconds from done.
 */
export const INTAKE_PATIENCE_MS = 400;
const INTAKE_POLL_MS = [10, 20, 40, 80, 100, 150];

/** The worker's client (the one the SDK hands to activities) asks Temporal; closed or missing runs are not running. */
async function runningThroughWorkerClient(workflowId: string): Promise<boolean | 'unknown'> {
  try {
    const description = await Context.current().client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING';
  } catch (error) {
    // Never started (its start is still being retried by the listener): it will run, the lane keeps waiting.
    if (error instanceof WorkflowNotFoundError) return true;
    return 'unknown';
  }
}

async function intakeStored(barrier: IntakeBarrier, entryId: string): Promise<boolean> {
  const deadline = Date.now() + INTAKE_PATIENCE_MS;
  for (let i = 0; ; i += 1) {
    if (await barrier.storedBefore(entryId)) return true;
    const pause = INTAKE_POLL_MS[Math.min(i, INTAKE_POLL_MS.length - 1)];
    if (Date.now() + pause > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

export function createLaneActivities(deps: ActivityDeps) {
  const lanes = createLaneRepository(deps.dataSource);
  const workflowRunning = deps.workflowRunning ?? runningThroughWorkerClient;
  return {
    /** Asks for the delivery's turn; records what it waits for (the API's waitingFor). */
    async joinLane(input: JoinLaneInput): Promise<LaneTurn> {
      if (input.streamEntryId !== null && deps.intakeBarrier && !(await intakeStored(deps.intakeBarrier, input.streamEntryId))) {
        return { kind: 'intake' };
      }
      let decision = await lanes.join(input.eventId, input.subscriptionId);
      if (decision.kind === 'wait' && input.recheck) {
        const ahead = decision.ahead;
        const running = await workflowRunning(ahead.workflowId);
        if (running === false) {
          // Closed without ending its turn (terminated from the UI, timed out): it must not hold the lane.
          await lanes.passStalled(ahead.deliveryId);
          deps.logger.warn(
            { eventId: input.eventId, subscriptionId: input.subscriptionId, ahead },
            'the delivery ahead in the lane closed without ending its turn; passed on its behalf',
          );
          decision = await lanes.join(input.eventId, input.subscriptionId);
        } else if (running === 'unknown') {
          deps.logger.warn({ eventId: input.eventId, ahead }, 'could not tell whether the delivery ahead still runs; waiting on');
        }
      }
      return decision.kind === 'go' ? { kind: 'go' } : { kind: 'wait', ahead: decision.ahead };
    },

    /** Ends the delivery's turn; answers the workflow ids of the deliveries waiting for it (the workflow signals them). */
    async passLane(input: PassLaneInput): Promise<string[]> {
      try {
        return await lanes.pass(input.eventId, input.subscriptionId);
      } catch (error) {
        deps.logger.warn({ eventId: input.eventId, err: errorSummary(error) }, 'could not pass the lane turn; retrying');
        throw error;
      }
    },
  };
}
