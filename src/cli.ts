import { loadConfig } from './config';
import { createDataSource } from './app/data-source';
import { migrate } from './app/migrate';
import { EVENTS_USAGE, parseEventsCommand, runEventsCommand } from './events/events-cli';
import { KEYS_USAGE, parseKeysCommand, runKeysCommand } from './keys/keys-cli';
import { UsageError, type CliOutput } from './shared/cli';

/**
 * Operator commands: `cli keys create --account <accountId>`, `cli keys revoke <keyId>`, and
 * `cli events publish --account <accountId> --type <type> [--data '<json>']` (adds a test event to the stream).
 * The keys commands apply pending migrations first (creating the database if missing), so they work on a fresh install.
 * Exit codes: 0 done, 1 failed, 2 usage error (nothing was written).
 */
async function main(argv: readonly string[], out: CliOutput): Promise<number> {
  const [group, ...args] = argv;
  if (group === 'events') return events(args, out);
  if (group !== 'keys') {
    out.stderr(`${group ? `unknown command "${group}"` : 'missing command'}\n${KEYS_USAGE}\n${EVENTS_USAGE}\n`);
    return 2;
  }
  let command;
  try {
    command = parseKeysCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`${error.message}\n${KEYS_USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const dataSource = createDataSource(config.databaseUrl, { poolSize: 1 });
  await dataSource.initialize();
  try {
    return await runKeysCommand(command, dataSource, out);
  } finally {
    await dataSource.destroy();
  }
}

async function events(args: readonly string[], out: CliOutput): Promise<number> {
  let command;
  try {
    command = parseEventsCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`${error.message}\n${EVENTS_USAGE}\n`);
    return 2;
  }
  return runEventsCommand(command, loadConfig(), out);
}

const out: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

main(process.argv.slice(2), out).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // The whole message, not errorSummary's first line: a configuration error lists each problem on a line of its own.
    out.stderr(`failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
