/**
 * Baseline 3, the direct limit: the engine's intake, and each matched delivery done inline by the same job,
 * at most `--concurrency` steps at once. Each step (record started, send, record outcome) is retried on its own
 * with the engine's backoff, as a Temporal activity would be, so a failed write never re-sends the request.
 * No queue, no orchestrator: what it loses on a crash is exactly what the engine exists to keep.
 */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { argValue, exitOnSignal, openBaselineInfrastructure, startBaselineIntake } from './baseline-intake';
import { createDeliveryJob, deliveryJobDepsFrom, DeliveryJobError, newRunId } from './delivery-job';

async function main(): Promise<void> {
  const config = loadConfig();
  const concurrency = Number(argValue('concurrency'));
  const logger = createLogger('bench-direct', config.logLevel);
  const infra = await openBaselineInfrastructure(config, logger, Number(argValue('pool-size', '10')));
  const { dataSource } = infra;
  const job = createDeliveryJob(deliveryJobDepsFrom(config, dataSource, logger));
  const { retry } = config.delivery;

  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  const backoff = (attempt: number, hint?: number) =>
    hint ?? Math.min(retry.maximumIntervalMs, retry.initialIntervalMs * retry.backoffCoefficient ** (attempt - 1));

  /** Runs one step in a concurrency slot; retries it with backoff (holding no slot while waiting). */
  async function step<T>(what: string, eventId: string, run: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let failure: DeliveryJobError;
      await acquire();
      try {
        return await run(attempt);
      } catch (error) {
        failure = error instanceof DeliveryJobError ? error : new DeliveryJobError(String(error), true);
      } finally {
        release();
      }
      logger.warn({ eventId, step: what, attempt, err: failure.message }, 'delivery step failed');
      if (!failure.retryable || attempt >= retry.maximumAttempts) throw failure;
      await new Promise((resolve) => setTimeout(resolve, backoff(attempt, failure.retryDelayMs)));
    }
  }

  const intake = await startBaselineIntake(infra, async (start) => {
    const runId = newRunId();
    try {
      await step('send', start.eventId, (attempt) => job.attempt(start, runId, attempt));
    } catch (error) {
      await step('recordFailure', start.eventId, () => job.fail(start, (error as Error).message));
    }
    return 'started';
  });
  logger.info({ concurrency }, 'direct baseline ready');
  exitOnSignal(async () => {
    await intake.stop();
    await infra.close();
  }, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`direct baseline failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
