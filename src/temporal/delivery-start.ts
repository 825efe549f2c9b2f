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
import { deliveryWorkflowId, SearchAttributes, targetHostOf, WORKFLOW_TYPE } from './contract';
import { deliveryRetryPolicy, workflowTaskTimeoutMs } from './retry-policy';

export interface DeliveryStartFields {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly accountId: string;
  readonly eventType: string;
  /** The subscription URL now; only its host is used (search attribute). */
  readonly targetUrl: string;
  /** The delivery's lane (an ordered subscription, an event with an orderingKey). */
  readonly lane?: { readonly orderingKey: string; readonly streamEntryId: string | null };
}

export interface DeliveryStartRequest {
  readonly workflowType: typeof WORKFLOW_TYPE;
  readonly options: WorkflowStartOptions<typeof deliverWebhookWorkflow>;
}

export function deliveryInput(config: Pick<Config, 'delivery'>, fields: DeliveryStartFields): DeliverWebhookInput {
  return {
    eventId: fields.eventId,
    subscriptionId: fields.subscriptionId,
    accountId: fields.accountId,
    eventType: fields.eventType,
    targetHost: targetHostOf(fields.targetUrl),
    retry: deliveryRetryPolicy(config),
    ...(fields.lane ? { lane: { ...fields.lane, recheck: { ...config.delivery.laneRecheck } } } : {}),
  };
}

/**
 * The one line the Temporal UI shows for the workflow in its list and at the top of its page: what is delivered
 * where, without opening the input. No secrets, no body: the type, the host and the subscription.
 */
export function deliverySummary(input: Pick<DeliverWebhookInput, 'eventType' | 'targetHost' | 'subscriptionId' | 'lane'>): string {
  const lane = input.lane ? ` · lane ${input.lane.orderingKey}` : '';
  return `${input.eventType} → ${input.targetHost || 'unknown host'} · subscription ${input.subscriptionId}${lane}`;
}

/** The workflow's details in the UI (Markdown): the event, the account and the retry policy it runs under. */
export function deliveryDetails(input: DeliverWebhookInput): string {
  const { retry } = input;
  return [
    `**Event** \`${input.eventId}\` (${input.eventType}) of account \`${input.accountId}\``,
    `**Subscription** \`${input.subscriptionId}\` at ${input.targetHost || 'unknown host'}`,
    `**Retries** up to ${retry.maximumAttempts} attempts, ${retry.initialIntervalMs} ms doubling by ${retry.backoffCoefficient} to at most ${retry.maximumIntervalMs} ms`,
    ...(input.lane
      ? [`**Lane** \`${input.lane.orderingKey}\`: the first attempt waits until the delivery before it in the lane has ended`]
      : []),
  ].join('\n\n');
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
      staticSummary: deliverySummary(input),
      staticDetails: deliveryDetails(input),
      typedSearchAttributes: [
        { key: SearchAttributes.subscriptionId, value: input.subscriptionId },
        { key: SearchAttributes.accountId, value: input.accountId },
        { key: SearchAttributes.eventType, value: input.eventType },
        { key: SearchAttributes.targetHost, value: input.targetHost },
      ],
    },
  };
}
