import { loadConfig } from '../../src/config';
import { SearchAttributes } from '../../src/temporal/contract';
import { targetHostOf } from '../../src/temporal/contract';
import { deliveryStartRequest } from '../../src/temporal/delivery-start';
import { deliveryRetryPolicy } from '../../src/temporal/retry-policy';

const config = loadConfig({ TEMPORAL_TASK_QUEUE: 'q-test', WEBHOOKS_RETRY_MAX_ATTEMPTS: '4' });
const fields = {
  eventId: 'evt_1',
  subscriptionId: '0b6f1c9e-6f7a-4c1e-9d41-3f0c2a1b5e77',
  accountId: 'acct_1',
  eventType: 'CONVERSATION_CREATED',
  targetUrl: 'https://hooks.example.com:8443/in?token=abc',
};

describe('deliveryStartRequest', () => {
  it('starts deliverWebhookWorkflow with the deterministic id on the configured task queue', () => {
    const { workflowType, options } = deliveryStartRequest(config, fields);
    expect(workflowType).toBe('deliverWebhookWorkflow');
    expect(options.workflowId).toBe('delivery:evt_1:0b6f1c9e-6f7a-4c1e-9d41-3f0c2a1b5e77');
    expect(options.taskQueue).toBe('q-test');
  });

  it('refuses to start a second workflow for the same event and subscription', () => {
    const { options } = deliveryStartRequest(config, fields);
    expect(options.workflowIdReusePolicy).toBe('REJECT_DUPLICATE');
    expect(options.workflowIdConflictPolicy).toBe('FAIL');
  });

  it('starts with a workflow-task timeout that holds the local first attempt', () => {
    const { options } = deliveryStartRequest(config, fields);
    expect(options.workflowTaskTimeout).toBe(10_000);
    const slow = deliveryStartRequest(loadConfig({ WEBHOOKS_REQUEST_TIMEOUT_MS: '20000' }), fields);
    expect(Number(slow.options.workflowTaskTimeout)).toBeGreaterThan((20_000 + 2_000) / 0.8);
  });

  it('passes the retry policy from config in the input so the workflow never reads config', () => {
    const { options } = deliveryStartRequest(config, fields);
    expect(options.args).toEqual([
      {
        eventId: 'evt_1',
        subscriptionId: fields.subscriptionId,
        accountId: 'acct_1',
        eventType: 'CONVERSATION_CREATED',
        targetHost: 'hooks.example.com:8443',
        retry: deliveryRetryPolicy(config),
      },
    ]);
  });

  it('sets every search attribute of the contract, no WebhookDeliveryStatus, and no URL path or query', () => {
    const { options } = deliveryStartRequest(config, fields);
    expect(options.typedSearchAttributes).toEqual([
      { key: SearchAttributes.subscriptionId, value: fields.subscriptionId },
      { key: SearchAttributes.accountId, value: 'acct_1' },
      { key: SearchAttributes.eventType, value: 'CONVERSATION_CREATED' },
      { key: SearchAttributes.targetHost, value: 'hooks.example.com:8443' },
    ]);
    expect(JSON.stringify(options.typedSearchAttributes)).not.toContain('token=abc');
  });

  it('gives the Temporal UI a one-line summary (type, host, subscription) and details, without the URL path or query', () => {
    const { options } = deliveryStartRequest(config, fields);
    expect(options.staticSummary).toBe(`CONVERSATION_CREATED → hooks.example.com:8443 · subscription ${fields.subscriptionId}`);
    expect(options.staticSummary).not.toContain('\n');
    expect(options.staticDetails).toContain('`evt_1`');
    expect(options.staticDetails).toContain('up to 4 attempts');
    expect(`${options.staticSummary}${options.staticDetails}`).not.toMatch(/token=abc|\/in\b/);
  });

  it('uses an empty target host for a value that is not a URL', () => {
    expect(targetHostOf('not a url')).toBe('');
  });
});
