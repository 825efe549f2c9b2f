/**
 * The workflow's own logic with stub activities (no Postgres, no HTTP), on the run's Temporal dev server:
 * a local first attempt (one workflow task, one marker) on the success path, later attempts as the regular activity,
 * how failures end the workflow, no search-attribute upsert, and replay determinism. The timers are short (tens to
 * hundreds of ms, run for real) and what the workflow waited is read from its history (TimerStarted), never measured.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DeliveryActivities } from '../../activities';
import { WORKFLOW_TYPE } from '../../src/temporal/contract';
import { Context } from '@temporalio/activity';
import type {
  DeliverWebhookInput,
  RecordDeliveryFailureInput,
  SendWebhookInput,
  SendWebhookThrottled,
} from '../../workflows/deliver-webhook.types';
import { bundleWorkflows } from '../helpers/worker';
import { uniqueTaskQueue } from '../helpers/temporal';

const retry = {
  initialIntervalMs: 100,
  backoffCoefficient: 1,
  maximumIntervalMs: 100,
  maximumAttempts: 3,
  startToCloseTimeoutMs: 5_000,
  firstAttemptTimeoutMs: 5_000,
};

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
  sends: SendWebhookInput[];
  failures: RecordDeliveryFailureInput[];
  /** The attempt key (offset + Temporal's attempt) of every call that was not throttled, i.e. made an attempt. */
  attemptKeys: number[];
}

/** What a throttled sendWebhook answers, with Temporal's attempt number of the call (as the activity reports it). */
function throttled(waitMs: number, reason: SendWebhookThrottled['reason'] = 'rate_limit'): SendWebhookThrottled {
  return { kind: 'throttled', reason, waitMs, activityAttempt: Context.current().info.attempt };
}

function stubActivities(send: (call: number) => Promise<void | SendWebhookThrottled>, options: { failFailureWriteOnce?: boolean } = {}) {
  const calls: Calls = { sends: [], failures: [], attemptKeys: [] };
  let failureWriteErrors = options.failFailureWriteOnce ? 1 : 0;
  const activities: DeliveryActivities = {
    async sendWebhook(input) {
      calls.sends.push(input);
      const key = (input.attemptOffset ?? 0) + Context.current().info.attempt;
      let answer: void | SendWebhookThrottled;
      try {
        answer = await send(calls.sends.length);
      } catch (error) {
        calls.attemptKeys.push(key);
        throw error;
      }
      if (answer) return answer;
      calls.attemptKeys.push(key);
      return { kind: 'sent', deliveryId: 'delivery-1', statusCode: 200, attempt: calls.attemptKeys.length };
    },
    async recordDeliveryFailure(input) {
      if (failureWriteErrors > 0) {
        failureWriteErrors -= 1;
        throw new Error('database briefly unavailable');
      }
      calls.failures.push(input);
      return { deliveryId: 'delivery-1' };
    },
    // These workflows have no lane (test/integration/ordered-delivery.test.ts covers lanes).
    joinLane: async () => ({ kind: 'go' }),
    passLane: async () => [],
  };
  return { activities, calls };
}

function activityTypesOf(history: {
  events?: Array<{ activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null }> | null;
}) {
  return (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
}

type HistoryEvents = { events?: Array<object> | null };

function countOf(history: HistoryEvents, attributes: string): number {
  return (history.events ?? []).filter((e) => (e as Record<string, unknown>)[attributes]).length;
}

function timerDelaysMs(history: HistoryEvents): number[] {
  return (history.events ?? []).flatMap((e) => {
    const timer = (e as Record<string, unknown>).timerStartedEventAttributes as
      { startToFireTimeout?: { seconds?: unknown; nanos?: number | null } } | undefined;
    if (!timer?.startToFireTimeout) return [];
    return [Number(timer.startToFireTimeout.seconds ?? 0) * 1000 + Math.round((timer.startToFireTimeout.nanos ?? 0) / 1e6)];
  });
}

function searchAttributeUpserts(history: { events?: Array<{ upsertWorkflowSearchAttributesEventAttributes?: unknown }> | null }) {
  return (history.events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
}

async function run(activities: DeliveryActivities, policy = retry) {
  const taskQueue = uniqueTaskQueue('workflow-unit');
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: client.options.namespace,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const input: DeliverWebhookInput = {
    eventId: `evt_${randomUUID()}`,
    subscriptionId: randomUUID(),
    accountId: 'acct_1',
    eventType: 'CONVERSATION_CREATED',
    targetHost: 'hooks.example.com',
    retry: policy,
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
    return { input, workflowId, failure, status: description.status.name, history };
  });
}

describe('deliverWebhookWorkflow (stub activities)', () => {
  it('delivers with one local attempt in one workflow task, no scheduled activity and no search attribute update', async () => {
    const { activities, calls } = stubActivities(async () => undefined);
    const result = await run(activities);
    expect(result.failure).toBeUndefined();
    const { eventId, subscriptionId, accountId, eventType } = result.input;
    expect(calls.sends).toEqual([{ eventId, subscriptionId, accountId, eventType }]);
    expect(calls.failures).toEqual([]);
    expect(activityTypesOf(result.history)).toEqual([]);
    expect(countOf(result.history, 'markerRecordedEventAttributes')).toBe(1);
    expect(countOf(result.history, 'workflowTaskCompletedEventAttributes')).toBe(1);
    expect(result.history.events).toHaveLength(6);
    expect(searchAttributeUpserts(result.history)).toBe(0);
    expect(result.status).toBe('COMPLETED');
  });

  it('records FAILURE with the reason and fails the workflow on a non-retryable failure, without retrying', async () => {
    const { activities, calls } = stubActivities(async () => {
      throw ApplicationFailure.nonRetryable('HTTP 410 Gone: subscription deactivated', 'DeliveryRefused');
    });
    const result = await run(activities);
    const { eventId, subscriptionId, accountId, eventType } = result.input;
    expect(calls.sends).toHaveLength(1);
    expect(calls.failures).toEqual([{ eventId, subscriptionId, accountId, eventType, error: 'HTTP 410 Gone: subscription deactivated' }]);
    expect(result.failure?.cause).toBeInstanceOf(ApplicationFailure);
    expect((result.failure?.cause as ApplicationFailure).type).toBe('DeliveryFailed');
    expect(activityTypesOf(result.history)).toEqual(['recordDeliveryFailure']);
    expect(searchAttributeUpserts(result.history)).toBe(0);
    expect(result.status).toBe('FAILED');
  });

  it('retries a retryable failure up to the maximum attempts from the input, then records FAILURE', async () => {
    const { activities, calls } = stubActivities(async () => {
      throw ApplicationFailure.retryable('HTTP 503', 'DeliveryAttemptFailed');
    });
    const result = await run(activities);
    expect(calls.sends).toHaveLength(retry.maximumAttempts);
    expect(calls.sends.map((s) => s.attemptOffset)).toEqual([undefined, 1, 1]);
    expect(activityTypesOf(result.history)).toEqual(['sendWebhook', 'recordDeliveryFailure']);
    expect(calls.failures.map((f) => f.error)).toEqual(['HTTP 503']);
    expect(result.failure).toBeDefined();
  });

  it('makes only the local attempt when the policy allows one attempt', async () => {
    const { activities, calls } = stubActivities(async () => {
      throw ApplicationFailure.retryable('HTTP 503', 'DeliveryAttemptFailed');
    });
    const result = await run(activities, { ...retry, maximumAttempts: 1 });
    expect(calls.sends).toHaveLength(1);
    expect(activityTypesOf(result.history)).toEqual(['recordDeliveryFailure']);
    expect(result.status).toBe('FAILED');
  });

  it('waits the initial interval after a failed local attempt, then continues as the regular activity', async () => {
    const { activities, calls } = stubActivities(async (call) => {
      if (call === 1) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const result = await run(activities);
    expect(calls.sends.map((s) => s.attemptOffset)).toEqual([undefined, 1]);
    expect(timerDelaysMs(result.history)).toEqual([retry.initialIntervalMs]);
    expect(activityTypesOf(result.history)).toEqual(['sendWebhook']);
    expect(result.status).toBe('COMPLETED');
  });

  it('continues as the regular activity when the local attempt outlives its timeout; the history shows the timeout', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { activities, calls } = stubActivities(async (call) => {
      // A first attempt stuck past its timeout (a starved worker, a slow database): released once the next one runs.
      if (call === 1) await held;
      else release();
    });
    const result = await run(activities, { ...retry, firstAttemptTimeoutMs: 300 });
    expect(result.status).toBe('COMPLETED');
    expect(calls.sends.map((s) => s.attemptOffset)).toEqual([undefined, 1]);
    expect(activityTypesOf(result.history)).toEqual(['sendWebhook']);
    // What test/helpers/lane-receiver.ts reads to tell a repeat after a timed-out attempt.
    const markers = (result.history.events ?? []).flatMap((e) => e.markerRecordedEventAttributes ?? []);
    expect(markers.map((m) => !!m.failure?.timeoutFailureInfo || !!m.failure?.cause?.timeoutFailureInfo)).toEqual([true]);
  });

  it("waits for the Retry-After in the failed local attempt's details instead of the initial interval", async () => {
    const { activities } = stubActivities(async (call) => {
      if (call === 1) {
        throw ApplicationFailure.create({
          message: 'HTTP 429',
          type: 'DeliveryAttemptFailed',
          details: [{ attempt: 1, statusCode: 429, nextRetryDelayMs: 300 }],
        });
      }
    });
    const result = await run(activities);
    expect(timerDelaysMs(result.history)).toEqual([300]);
    expect(result.status).toBe('COMPLETED');
  });

  it('succeeds after a retryable failure and never records FAILURE', async () => {
    const { activities, calls } = stubActivities(async (call) => {
      if (call === 1) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const result = await run(activities);
    expect(calls.sends).toHaveLength(2);
    expect(calls.failures).toEqual([]);
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe('COMPLETED');
  });

  it('keeps retrying the failure write until it is recorded', async () => {
    const { activities, calls } = stubActivities(
      async () => {
        throw ApplicationFailure.nonRetryable('subscription s was deleted', 'SubscriptionGone');
      },
      { failFailureWriteOnce: true },
    );
    const result = await run(activities);
    expect(calls.failures.map((f) => f.error)).toEqual(['subscription s was deleted']);
    expect(result.status).toBe('FAILED');
  });

  it('waits on a timer and asks again as the local first attempt when it is throttled, spending no attempt', async () => {
    const { activities, calls } = stubActivities(async (call) => (call <= 2 ? throttled(40, 'endpoint_busy') : undefined));
    const result = await run(activities);
    expect(result.status).toBe('COMPLETED');
    expect(calls.sends.map((s) => s.attemptOffset)).toEqual([undefined, undefined, undefined]);
    expect(calls.attemptKeys).toEqual([1]);
    expect(timerDelaysMs(result.history)).toEqual([40, 40]);
    expect(countOf(result.history, 'markerRecordedEventAttributes')).toBe(3);
    expect(activityTypesOf(result.history)).toEqual([]);
    expect(calls.failures).toEqual([]);
  });

  it('ends a regular activity at a throttled attempt and continues the budget, backoff and attempt numbers in the next', async () => {
    const policy = {
      initialIntervalMs: 100,
      backoffCoefficient: 2,
      maximumIntervalMs: 1_000,
      maximumAttempts: 5,
      startToCloseTimeoutMs: 5_000,
      firstAttemptTimeoutMs: 5_000,
    };
    // Attempt 1 (local) and 2 (regular, its attempt 1) fail; the regular activity's attempt 2 is throttled; the next
    // activity makes attempts 3, 4 and 5, all failing: five attempts made, as the policy allows, then FAILURE.
    const { activities, calls } = stubActivities(async (call) => {
      if (call === 3) return throttled(30);
      throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const result = await run(activities, policy);
    expect(result.status).toBe('FAILED');
    expect(calls.attemptKeys).toEqual([1, 2, 3, 4, 5]);
    expect(calls.sends.map((s) => s.attemptOffset)).toEqual([undefined, 1, 1, 2, 2, 2]);
    expect(activityTypesOf(result.history)).toEqual(['sendWebhook', 'sendWebhook', 'recordDeliveryFailure']);
    const policies = (result.history.events ?? []).flatMap((e) => {
      const scheduled = e.activityTaskScheduledEventAttributes;
      return scheduled?.activityType?.name === 'sendWebhook' ? [scheduled.retryPolicy] : [];
    });
    expect(
      policies.map((p) => [
        p?.maximumAttempts,
        Number(p?.initialInterval?.seconds ?? 0) * 1000 + Math.round((p?.initialInterval?.nanos ?? 0) / 1e6),
      ]),
    ).toEqual([
      [4, 200],
      [3, 400],
    ]);
    expect(timerDelaysMs(result.history)).toEqual([100, 30]);
    expect(calls.failures.map((f) => f.error)).toEqual(['HTTP 500']);
  });

  it("replays a throttled delivery's history deterministically", async () => {
    const { activities } = stubActivities(async (call) => {
      if (call === 1) return throttled(20);
      if (call === 2) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
      if (call === 3) return throttled(20);
      return undefined;
    });
    const { history, workflowId, status } = await run(activities);
    expect(status).toBe('COMPLETED');
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });

  it('replays its own history deterministically', async () => {
    const { activities } = stubActivities(async (call) => {
      if (call === 1) throw ApplicationFailure.retryable('HTTP 500', 'DeliveryAttemptFailed');
    });
    const { history, workflowId } = await run(activities);
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });
});
