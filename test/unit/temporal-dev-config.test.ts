import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { readTemporalDevConfig, startDevArgs } from '../../tools/dev/temporal-dev-config';

function configFile(extra: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'temporal-dev-')), 'temporal-dev.yaml');
  writeFileSync(
    file,
    `namespace: default\nip: 127.0.0.1\nport: 7233\nuiPort: 8233\nsearchAttributes:\n  WebhookDeliveryStatus: Keyword\n${extra}`,
  );
  return file;
}

describe('temporal-dev.yaml reader', () => {
  it('passes each dynamic config entry to the dev server as --dynamic-config-value KEY=VALUE', () => {
    const config = readTemporalDevConfig(
      configFile('dynamicConfig:\n  system.enableActivityEagerExecution: true\n  limit.x: 5\n  name.y: abc\n'),
    );
    const args = startDevArgs(config, { headless: true });
    const values = args.flatMap((arg, i) => (args[i - 1] === '--dynamic-config-value' ? [arg] : []));
    expect(values).toEqual(['system.enableActivityEagerExecution=true', 'limit.x=5', 'name.y="abc"']);
  });

  it('passes no dynamic config when the file declares none', () => {
    const args = startDevArgs(readTemporalDevConfig(configFile('')));
    expect(args).not.toContain('--dynamic-config-value');
  });

  it('rejects a dynamic config value that is not a scalar', () => {
    expect(() => readTemporalDevConfig(configFile('dynamicConfig:\n  system.x:\n    nested: 1\n'))).toThrow(/dynamic config system.x/);
  });

  it('enables eager activity execution in the project file', () => {
    expect(readTemporalDevConfig().dynamicConfig['system.enableActivityEagerExecution']).toBe(true);
  });

  it('keeps closed workflows as long as the default WEBHOOKS_RETENTION_DAYS keeps their rows', () => {
    expect(readTemporalDevConfig().namespaceRetentionDays).toBe(loadConfig({}).retention.days);
    expect(readTemporalDevConfig().namespaceRetentionDays).toBe(30);
  });

  it('refuses a namespace retention outside 1-3650 days', () => {
    expect(() => readTemporalDevConfig(configFile('namespaceRetentionDays: 0\n'))).toThrow(/namespaceRetentionDays/);
    expect(readTemporalDevConfig(configFile('')).namespaceRetentionDays).toBe(1);
  });

  it('passes SQLite pragmas as --sqlite-pragma NAME=VALUE to a file-backed server only', () => {
    const config = readTemporalDevConfig(
      configFile('dbFilename: .data/x.sqlite\nsqlitePragmas:\n  journal_mode: WAL\n  synchronous: NORMAL\n'),
    );
    const args = startDevArgs(config);
    const pragmas = args.flatMap((arg, i) => (args[i - 1] === '--sqlite-pragma' ? [arg] : []));
    expect(pragmas).toEqual(['journal_mode=WAL', 'synchronous=NORMAL']);
    expect(startDevArgs({ ...config, dbFilename: null })).not.toContain('--sqlite-pragma');
  });

  it('rejects a SQLite pragma that is not a plain name and value', () => {
    expect(() => readTemporalDevConfig(configFile('sqlitePragmas:\n  journal_mode: "WAL; DROP"\n'))).toThrow(/sqlite pragma journal_mode/);
  });

  it('tunes the project file for one worker and a file-backed SQLite store', () => {
    const config = readTemporalDevConfig();
    expect(config.dynamicConfig).toMatchObject({
      'system.forceSearchAttributesCacheRefreshOnRead': false,
      'matching.numTaskqueueReadPartitions': 1,
      'matching.numTaskqueueWritePartitions': 1,
    });
    expect(config.sqlitePragmas).toEqual({ journal_mode: 'WAL', synchronous: 'NORMAL' });
  });
});
