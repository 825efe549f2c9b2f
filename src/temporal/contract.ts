/**
 * Names shared by the client side (listener, API) and the workflow sandbox. Pure constants and pure
 * functions only: workflows import this file.
 */
import { defineSearchAttributeKey } from '@temporalio/common';

export const WORKFLOW_TYPE = 'deliverWebhookWorkflow';

/** One workflow per (event, subscription): a re-published event maps to the same id. */
export function deliveryWorkflowId(eventId: string, subscriptionId: string): string {
  return `delivery:${eventId}:${subscriptionId}`;
}

/**
 * The contract's search attributes, all set at start (free: no upsert). A delivery's state is the workflow's own
 * ExecutionStatus (Running = PENDING, Completed = SUCCESS, Failed = FAILURE). WebhookDeliveryStatus stays registered
 * in temporal-dev.yaml for namespaces that already have it, and is never written: an upsert per delivery would cost
 * a visibility write and a billable action for what ExecutionStatus already says.
 */
export const SearchAttributes = {
  subscriptionId: defineSearchAttributeKey('WebhookSubscriptionId', 'KEYWORD'),
  accountId: defineSearchAttributeKey('WebhookAccountId', 'KEYWORD'),
  eventType: defineSearchAttributeKey('WebhookEventType', 'KEYWORD'),
  targetHost: defineSearchAttributeKey('WebhookTargetHost', 'KEYWORD'),
} as const;

/** Host (with port) of a URL, or '' for a value that is not a URL (the search attribute is informative only). */
export function targetHostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
