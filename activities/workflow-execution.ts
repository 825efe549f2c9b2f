import { ApplicationFailure, Context } from '@temporalio/activity';

/** The workflow run the current activity belongs to; the delivery activities run only inside one. */
export function currentExecution(): { workflowId: string; runId: string; activityAttempt: number; timeoutMs: number } {
  const info = Context.current().info;
  const execution = info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable('delivery activities run only inside a delivery workflow', 'NotInWorkflow');
  // timeoutMs: the longest this execution may run (its start-to-close timeout; for a local activity too).
  return { workflowId: execution.workflowId, runId: execution.runId, activityAttempt: info.attempt, timeoutMs: info.startToCloseTimeoutMs };
}
