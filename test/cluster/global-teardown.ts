import { dropDatabase } from '../../src/db/ensure-database';

export default async function globalTeardown(): Promise<void> {
  if (process.env.DATABASE_URL && !process.env.KEEP_TEST_DATABASE) await dropDatabase(process.env.DATABASE_URL);
}
