/**
 * Temporal helpers for delivery tests: start a delivery exactly as the dispatcher does, wait for it, inspect it,
 * reset it to its first workflow task (what the UI's "Reset" does).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../src/config';
import { deliveryStartRequest } from '../../src/temporal/delivery-start';
import type { WebhookEvent } from '../../src/events/event.entity';
import type { WebhookSubscription } from '../../src/subscriptions/subscription.entity';

/** A task queue no other test file or run uses. */
export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${process.env.TEST_RUN_ID ?? 'local'}-${randomBytes(3).toString('hex')}`;
}

export async function startDelivery(
  client: Client,
  config: Config,
  event: WebhookEvent,
  subscription: WebhookSubscription,
): Promise<WorkflowHandle> {
  const { workflowType, options } = deliveryStartRequest(config, {
    eventId: event.id,
    subscriptionId: subscription.id,
    accountId: subscription.accountId,
    eventType: event.type,
    targetUrl: subscription.url,
  });
  return client.workflow.start(workflowType, options);
}

export type Ending = { status: 'COMPLETED'; result: unknown } | { status: 'FAILED'; error: WorkflowFailedError };

/** Waits for the workflow to close and says how it ended. */
export async function ending(handle: WorkflowHandle): Promise<Ending> {
  try {
    return { status: 'COMPLETED', result: await handle.result() };
  } catch (error) {
    if (error instanceof WorkflowFailedError) return { status: 'FAILED', error };
    throw error;
  }
}

/** Resets a closed or running workflow to just after its first completed workflow task; returns the new run id. */
export async function resetToFirstWorkflowTask(client: Client, workflowId: string, reason: string): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const firstCompleted = history.events?.find(
    (event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  );
  if (!firstCompleted?.eventId) throw new Error(`workflow ${workflowId} has no completed workflow task`);
  const { runId } = await handle.describe();
  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    reason,
    workflowTaskFinishEventId: firstCompleted.eventId,
    requestId: randomUUID(),
  });
  return response.runId as string;
}

/** Polls until the predicate holds (for states observed through Postgres or Temporal while a workflow runs). */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}
