/**
 * The workflow's own logic with stub activities (no Postgres, no HTTP), on the run's Temporal dev server:
 * the order of bookkeeping, how failures end the workflow, search attributes, and replay determinism.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DeliveryActivities } from '../../activities';
import { SearchAttributes, WORKFLOW_TYPE } from '../../src/temporal/contract';
import type { DeliverWebhookInput, RecordDeliveryOutcomeInput } from '../../workflows/deliver-webhook.types';
import { bundleWorkflows } from '../helpers/worker';
import { uniqueTaskQueue } from '../helpers/temporal';

const retry = { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 3, startToCloseTimeoutMs: 5_000 };

let bundle: WorkflowBundle;
let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;

beforeAll(async () => {
  bundle = await bundleWorkflows();
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
  client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS as string });
});

afterAll(async () => {
  await connection?.close();
  await nativeConnection?.close();
});

interface Calls {
  sends: number;
  outcomes: RecordDeliveryOutcomeInput[];
  started: string[];
}

function stubActivities(send: (call: number) => Promise<void>, options: { failOutcomeOnce?: boolean } = {}) {
  const calls: Calls = { sends: 0, outcomes: [], started: [] };
  let outcomeFailures = options.failOutcomeOnce ? 1 : 0;
  const activities: DeliveryActivities = {
    async recordDeliveryStarted(input) {
      calls.started.push(input.workflowId);
      return { deliveryId: 'delivery-1' };
    },
    async sendWebhook(input) {
      calls.sends += 1;
      expect(input.deliveryId).toBe('delivery-1');
      await send(calls.sends);
      return { statusCode: 200, attempt: calls.sends };
    },
    async recordDeliveryOutcome(input) {
      if (outcomeFailures > 0) {
        outcomeFailures -= 1;
        throw new Error('database briefly unavailable');
      }
      calls.outcomes.push(input);
    },
  };
  return { activities, calls };
}

async function run(activities: DeliveryActivities) {
  const taskQueue = uniqueTaskQueue('workflow-unit');
  const worker = await Worker.create({ connection: nativeConnection, namespace: client.options.namespace, taskQueue, workflowBundle: bundle, activities });
  const input: DeliverWebhookInput = {
    eventId: `evt_${randomUUID()}`,
    subscriptionId: randomUUID(),
    accountId: 'acct_1',
    eventType: 'CONVERSATION_CREATED',
    targetHost: 'hooks.example.com',
    retry,
  };
  const workflowId = `delivery:${input.eventId}:${input.subscriptionId}`;
  return worker.runUntil(async () => {
    const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });
    let failure: WorkflowFailedError | undefined;
    try {
      await handle.result();
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      failure = error;
    }
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    return { workflowId, failure, status: description.typedSearchAttributes.get(SearchAttributes.deliveryStatus), history };
  });
}

describe('deliverWebhookWorkflow (stub activities)', () => {
  it('records PENDING, sends once and records SUCCESS', async () => {
    const { activities, calls } = stubActivities(async () => undefined);
    const result = await run(activities);
    expect(result.failure).toBeUndefined();
    expect(calls.started).toEqual([result.workflowId]);
    expect(calls.sends).toBe(1);
    expect(calls.outcomes).toEqual([{ deliveryId: 'delivery-1', status: 'SUCCESS' }]);
    expect(result.status).toBe('SUCCESS');
  });

  it('records FAILURE with the reason and fails the workflow on a non-retryable failure, without retrying', async () => {
    const { activities, calls } = stubActivities(async () => {
      throw ApplicationFailure.nonRetryable('HTTP 410 Gone: subscription deactivated', 'DeliveryRefused');
    });
    const result = await run(activities);
    expect(calls.sends).toBe(1);
    expect(calls.outcomes).toEqual([{ deliveryId: 'delivery-1', status: 'FAILURE', error: 'HTTP 410 Gone: subscription deactivated' }]);
    expect(result.failure?.cause).toBeInstanceOf(ApplicationFailure);
    expect((result.failure?.cause as ApplicationFailure).type).toBe('DeliveryFailed');
    expect(result.status).toBe('FAILURE');
  });

  it('retries a retryable failure up to the maximum attempts from the input, then records FAILURE', async () => {
    const { activities, calls } = stubActivities(async () => {
      throw ApplicationFailure.retryable('HTTP 503', 'DeliveryAttemptFailed');
    });
    const result = await run(activities);
    expect(calls.sends).toBe(retry.maximumAttempts);
    expect(calls.outcomes).toEqual([{ deliveryId: 'delivery-1', status: 'FAILURE', error: 'HTTP 503' }]);
    expect(result.failure).toBeDefined();
  });

  it('succeeds after a retryable failure and never records FAILURE', async () => {
    const { activities, calls } = stubActivities(async (call) => {
      if (call === 1) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const result = await run(activities);
    expect(calls.sends).toBe(2);
    expect(calls.outcomes).toEqual([{ deliveryId: 'delivery-1', status: 'SUCCESS' }]);
    expect(result.failure).toBeUndefined();
  });

  it('keeps retrying the outcome write until it is recorded', async () => {
    const { activities, calls } = stubActivities(async () => undefined, { failOutcomeOnce: true });
    const result = await run(activities);
    expect(result.failure).toBeUndefined();
    expect(calls.outcomes).toEqual([{ deliveryId: 'delivery-1', status: 'SUCCESS' }]);
  });

  it('replays its own history deterministically', async () => {
    const { activities } = stubActivities(async (call) => {
      if (call === 1) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const { history, workflowId } = await run(activities);
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });
});
