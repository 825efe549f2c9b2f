/** Composition root of the REST API process. Redis is held for readiness only; Temporal also serves retries and tests. */
import { buildApi } from './app/api';
import { openInfrastructure } from './app/infrastructure';
import { loadConfig } from './config';
import { superviseProcess } from './shared/process-lifecycle';

async function main(): Promise<void> {
  const config = loadConfig();
  const infra = await openInfrastructure(config, { role: 'api' });
  const api = buildApi(infra);
  await api.start();
  superviseProcess({
    logger: infra.logger,
    stop: async () => {
      await api.stop();
      await infra.close();
    },
  });
}

main().catch((error: unknown) => {
  // The whole message, not errorSummary's first line: a configuration error lists each problem on a line of its own.
  process.stderr.write(`webhooks-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
