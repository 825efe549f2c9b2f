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

export const SearchAttributes = {
  subscriptionId: defineSearchAttributeKey('WebhookSubscriptionId', 'KEYWORD'),
  accountId: defineSearchAttributeKey('WebhookAccountId', 'KEYWORD'),
  eventType: defineSearchAttributeKey('WebhookEventType', 'KEYWORD'),
  targetHost: defineSearchAttributeKey('WebhookTargetHost', 'KEYWORD'),
  deliveryStatus: defineSearchAttributeKey('WebhookDeliveryStatus', 'KEYWORD'),
} as const;
