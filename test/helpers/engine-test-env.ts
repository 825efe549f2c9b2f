import { randomBytes } from 'node:crypto';

/**
 * The engine variables every test run shares (the dev-server suite and the cluster suite): its own database and
 * encryption key, quiet logs, and engine processes that serve /metrics on free ports with no SDK exporter, never the
 * fixed defaults (other runs, and npm run dev, may hold those; a test that scrapes them passes its own free ports).
 */
export function engineTestEnv(runId: string, databaseUrl: string): Record<string, string> {
  return {
    TEST_RUN_ID: runId,
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    WEBHOOKS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    WEBHOOKS_LISTENER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_SDK_METRICS_PORT: '0',
  };
}
