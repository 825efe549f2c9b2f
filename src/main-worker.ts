/**
 * Composition root of the delivery worker process. On stop, in-flight attempts get the worker's grace time; anything
 * cut short is retried by Temporal on another worker.
 */
import { openInfrastructure } from './app/infrastructure';
import { buildWorker } from './app/worker';
import { loadConfig } from './config';
import { errorSummary } from './shared/error-summary';
import { superviseProcess } from './shared/process-lifecycle';

async function main(): Promise<void> {
  const config = loadConfig();
  const infra = await openInfrastructure(config, { role: 'worker' });
  const worker = buildWorker(infra);
  await worker.start();
  const lifecycle = superviseProcess({
    logger: infra.logger,
    stop: () => worker.stop().finally(() => infra.close()),
  });
  // The worker ended by itself (a fatal error in the SDK): stop the process on purpose with the error.
  void worker.ended().then(
    () => lifecycle.stopAndExit('worker stopped', 0),
    (error: unknown) => {
      infra.logger.fatal({ err: errorSummary(error) }, 'the Temporal worker failed');
      return lifecycle.stopAndExit('worker failed', 1);
    },
  );
}

main().catch((error: unknown) => {
  // The whole message, not errorSummary's first line: a configuration error lists each problem on a line of its own.
  process.stderr.write(`webhooks-worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
