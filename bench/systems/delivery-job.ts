/**
 * The work of one delivery without an orchestrator, for the two baselines: the same steps, in the same order,
 * through the same engine modules as the delivery workflow and its activities (sendWebhook: upsert the PENDING row
 * and load subscription and event in one statement, open the live secrets, sign the stored bytes, POST through the guarded
 * client, classify, record the attempt with SUCCESS on a 2xx; recordDeliveryFailure once the attempts are
 * exhausted or refused). Only who calls it and who retries differs.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ActivityDeps } from '../../activities';
import type { Config } from '../../src/config';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import type { DeliveryStart } from '../../src/events/dispatcher';
import { classifyOutcome } from '../../src/http/outcome';
import { signHeaders, webhookIdFor } from '../../src/http/signer';
import type { Logger } from '../../src/logger';
import { truncateText } from '../../src/shared/storable-text';
import { openLiveSecrets } from '../../src/subscriptions/signing-secrets';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { buildActivityDeps } from '../../src/worker/activity-deps';

export type DeliveryJobDeps = Pick<ActivityDeps, 'dataSource' | 'secretBox' | 'http' | 'retryAfterCapMs'>;

/** What a failed attempt means for the caller's retry loop. */
export class DeliveryJobError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryDelayMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryJobError';
  }
}

/** Exactly the collaborators the engine's worker builds from its configuration (src/worker/activity-deps.ts). */
export function deliveryJobDepsFrom(config: Config, dataSource: DataSource, logger: Logger): DeliveryJobDeps {
  return buildActivityDeps({ config, dataSource, logger });
}

export interface DeliveryJob {
  /** One attempt, SUCCESS recorded with it (the engine's sendWebhook); `attemptNumber` plays the activity attempt. */
  attempt(start: DeliveryStart, runId: string, attemptNumber: number): Promise<void>;
  /** FAILURE with the reason, upserting the row (the engine's recordDeliveryFailure). */
  fail(start: DeliveryStart, error: string): Promise<void>;
}

export function createDeliveryJob(deps: DeliveryJobDeps): DeliveryJob {
  const deliveries = createDeliveryRepository(deps.dataSource);
  return {
    async attempt(start, runId, attemptNumber) {
      // The engine's claim too (same statement), as long as the engine's activity would hold it.
      const token = randomUUID();
      const { deliveryId, subscription, event, openedAttempt } = await deliveries.beginAttempt(
        { ...start, workflowId: workflowIdOf(start) },
        { runId, activityAttempt: attemptNumber, token, forMs: JOB_CLAIM_MS },
      );
      if (!subscription || !subscription.isActive)
        throw new DeliveryJobError(`subscription ${start.subscriptionId} is gone or inactive`, false);
      if (!event) throw new DeliveryJobError(`event ${start.eventId} is not stored`, false);
      const signedAt = new Date();
      const secrets = openLiveSecrets(deps.secretBox, subscription.id, subscription.secrets, signedAt);
      if (secrets.length === 0) throw new DeliveryJobError(`subscription ${subscription.id} has no live signing secret`, false);
      // The attempt's row before the request, as the engine writes it (in beginAttempt's statement on the common path).
      if (openedAttempt === null) await deliveries.openAttempt(deliveryId, { runId, activityAttempt: attemptNumber, token });
      const webhookId = webhookIdFor(deliveryId);
      const headers = signHeaders({
        body: event.body,
        webhookId,
        timestamp: Math.floor(signedAt.getTime() / 1000),
        eventType: event.type,
        secrets,
      });
      const sent = await deps.http.post({ url: subscription.url, body: event.body, headers });
      const outcome = classifyOutcome(sent.result, { retryAfterCapMs: deps.retryAfterCapMs, now: new Date() });
      const statusCode = sent.result.kind === 'response' ? sent.result.statusCode : null;
      const error = outcome.kind === 'success' ? null : outcome.reason;
      await deliveries.recordAttempt(
        deliveryId,
        {
          claimToken: token,
          runId,
          activityAttempt: attemptNumber,
          startedAt: signedAt,
          durationMs: sent.durationMs,
          statusCode,
          error,
          responseBody: sent.responseExcerpt === null ? null : truncateText(sent.responseExcerpt, 1024),
        },
        { succeeded: outcome.kind === 'success' },
      );
      if (outcome.kind === 'stop') throw new DeliveryJobError(outcome.reason, false);
      if (outcome.kind === 'retry') throw new DeliveryJobError(outcome.reason, true, outcome.nextRetryDelayMs);
    },

    async fail(start, error) {
      await deliveries.recordFailure({ ...start, workflowId: workflowIdOf(start) }, error);
    },
  };
}

/** The engine's local first attempt holds its claim for its timeout: the HTTP timeout (5 s) + 2 s. */
const JOB_CLAIM_MS = 7_000;

const workflowIdOf = (start: DeliveryStart): string => deliveryWorkflowId(start.eventId, start.subscriptionId);

/** A run id for the attempt log, as a workflow run id would be (one per delivery run). */
export const newRunId = (): string => randomUUID();
