/** The worker's workflowsPath: every workflow this engine runs. */
export { deliverWebhookWorkflow } from './deliver-webhook.workflow';
export { retentionWorkflow } from './retention.workflow';
