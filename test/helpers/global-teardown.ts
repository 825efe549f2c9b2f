import type { RunningDevServer } from '../../src/dev/temporal-dev-server';
import { dropDatabase } from '../../src/db/ensure-database';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__TEMPORAL_SERVER__ as RunningDevServer | undefined;
  await server?.stop();
  if (process.env.DATABASE_URL && !process.env.KEEP_TEST_DATABASE) await dropDatabase(process.env.DATABASE_URL);
}
