/**
 * Baseline 2, the design the engine replaces: the engine's intake enqueues one BullMQ job per (event,
 * subscription) (`--role=listener`), and a BullMQ worker (`--role=worker`, `--concurrency` jobs at once) runs the
 * same delivery job, BullMQ retrying with exponential backoff. Queue names are unique per benchmark run.
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { loadConfig } from '../../src/config';
import type { DeliveryStart } from '../../src/events/dispatcher';
import { createLogger } from '../../src/logger';
import { argValue, exitOnSignal, openBaselineInfrastructure, startBaselineIntake } from './baseline-intake';
import { createDeliveryJob, deliveryJobDepsFrom, DeliveryJobError } from './delivery-job';

function connectionFrom(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

/** BullMQ refuses ':' in custom job ids; the id stays one per (event, subscription) so a re-publish is not re-queued. */
export const bullJobId = (start: DeliveryStart): string => `delivery_${start.eventId}_${start.subscriptionId}`.replace(/:/g, '_');

async function main(): Promise<void> {
  const config = loadConfig();
  const role = argValue('role');
  const queueName = argValue('queue');
  const logger = createLogger(`bench-bullmq-${role}`, config.logLevel);
  const connection = connectionFrom(config.redisUrl);
  const infra = await openBaselineInfrastructure(config, logger, Number(argValue('pool-size', '10')));
  const { dataSource } = infra;
  const { retry } = config.delivery;

  if (role === 'listener') {
    const queue = new Queue<DeliveryStart>(queueName, { connection, prefix: 'bench' });
    const intake = await startBaselineIntake(infra, async (start) => {
      await queue.add('deliver', start, {
        jobId: bullJobId(start),
        attempts: retry.maximumAttempts,
        backoff: { type: 'exponential', delay: retry.initialIntervalMs },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 1000 },
      });
      return 'started';
    });
    logger.info({ queueName }, 'bullmq listener ready');
    exitOnSignal(async () => {
      await intake.stop();
      await queue.close();
      await infra.close();
    }, logger);
    return;
  }

  const job = createDeliveryJob(deliveryJobDepsFrom(config, dataSource, logger));
  const worker = new Worker<DeliveryStart>(
    queueName,
    async (bullJob) => {
      const start = bullJob.data;
      const attempt = bullJob.attemptsMade + 1;
      try {
        await job.attempt(start, `bullmq-${bullJob.id}`, attempt);
      } catch (error) {
        const failure = error instanceof DeliveryJobError ? error : new DeliveryJobError(String(error), true);
        logger.warn({ eventId: start.eventId, attempt, err: failure.message }, 'delivery attempt failed');
        if (!failure.retryable || attempt >= retry.maximumAttempts) {
          await job.fail(start, failure.message);
          throw new UnrecoverableError(failure.message);
        }
        throw failure;
      }
    },
    { connection, prefix: 'bench', concurrency: Number(argValue('concurrency')) },
  );
  await worker.waitUntilReady();
  logger.info({ queueName }, 'bullmq worker ready');
  exitOnSignal(async () => {
    await worker.close();
    await infra.close();
  }, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`bullmq baseline failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
