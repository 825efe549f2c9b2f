/**
 * Composition root of the Redis listener process (with, by default, an embedded delivery worker). It waits for
 * Postgres at start-up; only invalid configuration stops it.
 */
import { openInfrastructure } from './app/infrastructure';
import { buildListener } from './app/listener';
import { loadConfig } from './config';
import { superviseProcess } from './shared/process-lifecycle';

async function main(): Promise<void> {
  const config = loadConfig();
  const infra = await openInfrastructure(config, { role: 'listener' });
  const listener = buildListener(infra);
  await listener.start();
  superviseProcess({
    logger: infra.logger,
    stop: async () => {
      await listener.stop();
      await infra.close();
    },
  });
}

main().catch((error: unknown) => {
  // The whole message, not errorSummary's first line: a configuration error lists each problem on a line of its own.
  process.stderr.write(`webhooks-listener failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
