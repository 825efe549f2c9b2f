import { UsageError, type CliOutput } from '../shared/cli';
import type { DataSource } from 'typeorm';
import { isApiKeyId, parseApiKeyId } from './api-key-format';
import { createApiKeyRepository } from './api-key.repository';

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export const KEYS_USAGE = [
  'usage:',
  '  cli keys create --account <accountId>   mint a key for the account; prints the key alone on stdout',
  '  cli keys revoke <keyId | key>            revoke a key (its id is the part after whk_, e.g. 3f2a9c0d1e4b5a69)',
].join('\n');

/** What a `keys ...` command will do, parsed from argv (after `keys`). Throws UsageError on bad input. */
export type KeysCommand = { action: 'create'; accountId: string } | { action: 'revoke'; keyId: string };

export function parseKeysCommand(args: readonly string[]): KeysCommand {
  const [action, ...rest] = args;
  if (action === 'create') {
    const accountId = readAccountFlag(rest);
    if (accountId === undefined) throw new UsageError('keys create needs exactly --account <accountId>');
    if (!ACCOUNT_ID_PATTERN.test(accountId)) {
      throw new UsageError('accountId must be 1-128 characters: letters, digits and . _ : @ - (starting with a letter or digit)');
    }
    return { action: 'create', accountId };
  }
  if (action === 'revoke') {
    if (rest.length !== 1) throw new UsageError('keys revoke needs exactly one <keyId>');
    const keyId = isApiKeyId(rest[0]) ? rest[0] : parseApiKeyId(rest[0]);
    if (!keyId) throw new UsageError('not a key id (16 hex characters) nor a whk_ key');
    return { action: 'revoke', keyId };
  }
  throw new UsageError(action ? `unknown keys command "${action}"` : 'missing keys command');
}

/** `--account <id>` or `--account=<id>` and nothing else; undefined otherwise. */
function readAccountFlag(args: readonly string[]): string | undefined {
  if (args.length === 2 && args[0] === '--account') return args[1];
  if (args.length === 1 && args[0].startsWith('--account=')) return args[0].slice('--account='.length);
  return undefined;
}

/** Runs a parsed command. Returns the process exit code. The key goes alone to stdout; notes go to stderr. */
export async function runKeysCommand(command: KeysCommand, dataSource: DataSource, out: CliOutput): Promise<number> {
  const keys = createApiKeyRepository(dataSource);
  if (command.action === 'create') {
    const created = await keys.create(command.accountId);
    out.stdout(`${created.key}\n`);
    out.stderr(`created key ${created.id} for account ${command.accountId}; it is shown once, store it now.\n`);
    return 0;
  }
  if (await keys.revoke(command.keyId)) {
    out.stderr(`revoked key ${command.keyId}\n`);
    return 0;
  }
  out.stderr(`no active key with id ${command.keyId}\n`);
  return 1;
}
