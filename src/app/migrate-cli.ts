import { loadConfig } from '../config';
import { migrate } from './migrate';

migrate(loadConfig().databaseUrl).then(
  (applied) => {
    process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n');
  },
  (error: unknown) => {
    process.stderr.write(`migration failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
