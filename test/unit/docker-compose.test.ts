import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { readTemporalDevConfig } from '../../src/dev/temporal-dev-config';

const root = path.resolve(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[] | string; image?: string; build?: string }>;
};
const packageScripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

describe('docker-compose.yml', () => {
  it('runs Postgres, Redis, a Temporal server with its Web UI, and the three engine processes', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'temporal', 'temporal-ui', 'api', 'listener', 'worker', 'migrate']),
    );
    expect(compose.services.temporal.environment?.DB).toMatch(/^postgres/);
  });

  it.each(['api', 'listener', 'worker'])('starts %s with the same built entry point as its npm start script', (name) => {
    const script = packageScripts[`start:${name}`];
    expect(script).toBe(`node ${(compose.services[name].command as string[]).slice(1).join(' ')}`);
  });

  it.each(['api', 'listener', 'worker', 'migrate'])('configures %s only with variables the config module reads, all valid', (name) => {
    const env = compose.services[name].environment ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(5);
    for (const variable of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(variable);
    const resolved = { ...env, WEBHOOKS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    expect(() => loadConfig(resolved)).not.toThrow();
  });

  it('gives its Temporal server the dynamic config declared in temporal-dev.yaml', () => {
    const temporal = compose.services.temporal as { environment?: Record<string, string>; volumes?: string[] };
    const mount = (temporal.volumes ?? []).find((volume) => volume.endsWith(`${temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}:ro`));
    expect(mount).toBeDefined();
    const file = parse(readFileSync(path.join(root, (mount as string).split(':')[0]), 'utf8')) as Record<string, Array<{ value: unknown }>>;
    const served = Object.fromEntries(Object.entries(file).map(([key, entries]) => [key, entries[0].value]));
    expect(served).toEqual(readTemporalDevConfig().dynamicConfig);
  });

  it('keeps closed workflows as long as temporal-dev.yaml does (and WEBHOOKS_RETENTION_DAYS keeps their rows)', () => {
    const retention = compose.services.temporal.environment?.DEFAULT_NAMESPACE_RETENTION;
    expect(retention).toBe(`${readTemporalDevConfig().namespaceRetentionDays * 24}h`);
    expect(retention).toBe(`${loadConfig({}).retention.days * 24}h`);
  });

  it('registers exactly the search attributes declared in temporal-dev.yaml', () => {
    const command = String(compose.services['temporal-search-attributes'].command);
    const listed = /for name in ([\w\s]+?);/.exec(command)?.[1].trim().split(/\s+/) ?? [];
    expect(listed.sort()).toEqual(Object.keys(readTemporalDevConfig().searchAttributes).sort());
  });
});
