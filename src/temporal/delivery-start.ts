/**
 * How a delivery workflow is started, in one place: workflow type and id, task queue, input (with the retry policy
 * from config, so the workflow never reads config), id policies and the contract's search attributes.
 *
 * ```ts
 * const { workflowType, options } = deliveryStartRequest(config, { eventId, subscriptionId, accountId, eventType, targetUrl });
 * await client.workflow.start(workflowType, options); // WorkflowExecutionAlreadyStartedError: already delivered/delivering
 * ```
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import type { Config } from '../config';
import type { deliverWebhookWorkflow } from '../../workflows/deliver-webhook.workflow';
import type { DeliverWebhookInput } from '../../workflows/deliver-webhook.types';
import { deliveryWorkflowId, SearchAttributes, WORKFLOW_TYPE } from './contract';
import { deliveryRetryPolicy, workflowTaskTimeoutMs } from './retry-policy';

export interface DeliveryStartFields {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  /** The subscription URL now; only its host is used (search attribute). */
  readonly targetUrl: string;
}

export interface DeliveryStartRequest {
  readonly workflowType: typeof WORKFLOW_TYPE;
  readonly options: WorkflowStartOptions<typeof deliverWebhookWorkflow>;
}

/** Host (with port) of a URL, or '' for a value that is not a URL (the search attribute is informative only). */
export function targetHostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export function deliveryInput(config: Pick<Config, 'delivery'>, fields: DeliveryStartFields): DeliverWebhookInput {
  return {
    eventId: fields.eventId,
    subscriptionId: fields.subscriptionId,
    accountId: fields.accountId,
    eventType: fields.eventType,
    targetHost: targetHostOf(fields.targetUrl),
    retry: deliveryRetryPolicy(config),
  };
}

/**
 * REJECT_DUPLICATE + FAIL: a workflow id that exists or existed starts nothing, so a re-published event is delivered
 * once. A deliberate re-delivery overrides `workflowIdReusePolicy` (ALLOW_DUPLICATE) or resets the workflow.
 */
export function deliveryStartRequest(config: Pick<Config, 'delivery' | 'temporal'>, fields: DeliveryStartFields): DeliveryStartRequest {
  const input = deliveryInput(config, fields);
  return {
    workflowType: WORKFLOW_TYPE,
    options: {
      taskQueue: config.temporal.taskQueue,
      workflowId: deliveryWorkflowId(fields.eventId, fields.subscriptionId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      // The local first attempt runs inside the first workflow task: keep it within 80% of the task's timeout.
      workflowTaskTimeout: workflowTaskTimeoutMs(input.retry),
      typedSearchAttributes: [
        { key: SearchAttributes.subscriptionId, value: input.subscriptionId },
        { key: SearchAttributes.accountId, value: input.accountId },
        { key: SearchAttributes.eventType, value: input.eventType },
        { key: SearchAttributes.targetHost, value: input.targetHost },
      ],
    },
  };
}
