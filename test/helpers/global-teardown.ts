import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { dropDatabase } from '../../src/db/ensure-database';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__TEMPORAL_SERVER__ as RunningDevServer | undefined;
  await server?.stop();
  if (process.env.TEST_WORKFLOW_BUNDLE) rmSync(process.env.TEST_WORKFLOW_BUNDLE, { force: true });
  if (process.env.DATABASE_URL && !process.env.KEEP_TEST_DATABASE) await dropDatabase(process.env.DATABASE_URL);
  await deleteRunStreams();
}

/** The streams this run made on the shared Redis (the listener creates its stream with its group): this run's only. */
async function deleteRunStreams(): Promise<void> {
  const runId = process.env.TEST_RUN_ID;
  if (!runId || !process.env.REDIS_URL) return;
  const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `webhooks:test-stream:${runId}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis gone at the end of a run: nothing to tidy.
  } finally {
    redis.disconnect();
  }
}
