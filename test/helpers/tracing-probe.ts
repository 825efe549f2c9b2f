/**
 * Run as a child process (ts-node) by test/unit/tracing-off.test.ts: loads the listener's and the worker's composition
 * roots, starts tracing from this process's environment as openInfrastructure does, builds a Temporal client and a
 * worker's options the way the engine does, and prints what that loaded and registered, as one JSON line.
 */
import '../../src/app/listener';
import '../../src/app/worker';
import { loadConfig } from '../../src/config';
import { temporalConnections } from '../../src/temporal/connections';
import type { WorkerOptions } from '@temporalio/worker';
import { startTracing, stopTracing, withTracing } from '../../src/tracing';

async function main(): Promise<void> {
  const tracing = startTracing(process.env, 'tracing-probe');
  const handle = temporalConnections(loadConfig()).lazyClient();
  const workerOptions: WorkerOptions = { taskQueue: 'probe', interceptors: { activity: [] } };
  const traced = withTracing(workerOptions);
  // The packages of OpenTelemetry's SDK and Temporal's interceptors that were loaded, and our module that loads them.
  // Not @opentelemetry/api: prom-client loads it in every process, tracing or not (for exemplars).
  const loaded = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const sdkPackage = /[\\/]node_modules[\\/](@opentelemetry[\\/][^\\/]+|@temporalio[\\/]interceptors-opentelemetry)[\\/]/.exec(file)?.[1];
    if (sdkPackage && !/api$/.test(sdkPackage)) loaded.add(sdkPackage.replace('\\', '/'));
    if (/[\\/]src[\\/]tracing[\\/]sdk\.[jt]s$/.test(file)) loaded.add('src/tracing/sdk');
  }
  process.stdout.write(
    `${JSON.stringify({
      tracing: tracing !== null,
      loaded: [...loaded].sort(),
      clientInterceptors: [handle.client.options.interceptors.workflow ?? []].flat().length,
      workerOptionsChanged: traced !== workerOptions,
      workflowModules: traced.interceptors?.workflowModules?.length ?? 0,
      activityInterceptors: traced.interceptors?.activity?.length ?? 0,
      sinks: Object.keys(traced.sinks ?? {}),
    })}\n`,
  );
  await handle.close();
  await stopTracing();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
